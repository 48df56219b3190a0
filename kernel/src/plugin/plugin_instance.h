// A running plugin: its library, the context it was given and the object it created. Whatever
// the plugin registers holds this instance alive (as an "anchor"), so the library is unloaded
// only when nothing of it remains: no in-flight request, listener call or service reference.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>

#include "lore/sdk/abi.h"
#include "lore/sdk/plugin.h"

namespace lore {

class PluginContext;

struct LoadedLibrary {
  boost::dll::shared_library library;
  const LorePluginDescriptor* descriptor = nullptr;
  std::filesystem::path path;
};

// Loads the library and checks its descriptor (size, ABI, fingerprint, name, version) before
// calling anything else in it. Returns a one-line reason on failure.
std::variant<std::shared_ptr<LoadedLibrary>, std::string> load_plugin_library(
    const std::filesystem::path& path, const std::string& expected_name,
    const std::string& expected_version);

struct PluginInstance {
  using PluginDeleter = void (*)(sdk::Plugin*) noexcept;

  // Destroyed in reverse order: the plugin object first (its code still loaded, its context
  // still valid), then the context, then the library reference.
  std::shared_ptr<LoadedLibrary> library;
  std::unique_ptr<PluginContext> context;
  std::unique_ptr<sdk::Plugin, PluginDeleter> plugin{nullptr, nullptr};

  ~PluginInstance();
};

}  // namespace lore
