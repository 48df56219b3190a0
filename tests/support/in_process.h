// A kernel in the test process, configured from YAML, for tests that need to look inside.
#pragma once

#include <dlfcn.h>

#include <memory>
#include <string>

#include "config/kernel_config.h"
#include "core/kernel.h"
#include "plugin/plugin_manager.h"
#include "support/test_config.h"

namespace lore::test {

inline KernelConfig config_from_yaml(const std::string& yaml) {
  return parse_kernel_config(yaml, "test.yaml", {});
}

inline sdk::http::Request request(sdk::http::Method method, std::string path,
                                  std::map<std::string, std::string, std::less<>> query = {}) {
  sdk::http::Request r;
  r.method = method;
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

inline std::string plugin_library(const std::string& folder, const std::string& name) {
  return folder + "/" + name + "/lib" + name + ".so";
}

// True while the library is mapped in this process (dlopen with RTLD_NOLOAD loads nothing).
inline bool library_loaded(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);  // NOLOAD still took a reference
  return true;
}

inline std::string state_of(Kernel& kernel, const std::string& plugin) {
  auto state = kernel.plugins().state(plugin);
  return state ? std::string(to_string(*state)) : "absent";
}

inline std::string reason_of(Kernel& kernel, const std::string& plugin) {
  for (const auto& p : kernel.plugins().status())
    if (p.name == plugin) return p.reason;
  return "absent";
}

}  // namespace lore::test
