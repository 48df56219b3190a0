// Writing a plugin: a class with `Status start(Context&)` and optionally `install` and `stop`,
// exported with LORE_PLUGIN. The macro wraps it in an adapter compiled into the plugin itself,
// so an exception thrown by plugin code is caught on the plugin's side and reaches the kernel
// as a failed Status.
//
//   class Hello {
//    public:
//     lore::sdk::Status start(lore::sdk::Context& ctx);
//   };
//   LORE_PLUGIN(Hello, "hello", "1.0.0")
#pragma once

#include <exception>
#include <memory>
#include <new>
#include <string>

#include "lore/sdk/abi.h"
#include "lore/sdk/context.h"
#include "lore/sdk/status.h"

namespace lore::sdk {

// The kernel-facing lifecycle. install: create or migrate the plugin's storage; it runs before
// every start, so it must be idempotent. start: register hooks, routes and services. stop:
// release what start acquired outside the context (registrations are removed by the kernel).
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual Status install(Context& context) noexcept = 0;
  virtual Status start(Context& context) noexcept = 0;
  virtual Status stop(Context& context) noexcept = 0;
};

namespace detail {

template <class Body>
Status guard_lifecycle(const char* stage, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::error(std::string(stage) + " threw: " + e.what());
  } catch (...) {
    return Status::error(std::string(stage) + " threw an unknown exception");
  }
}

// One instance per start: the kernel creates a fresh adapter each time it starts the plugin and
// destroys it only when nothing registered by it is still running (in-flight requests and
// listener calls hold it alive).
template <class Impl>
class PluginAdapter final : public Plugin {
 public:
  Status install(Context& context) noexcept override {
    return guard_lifecycle("install", [&] {
      if constexpr (requires(Impl & impl) { impl.install(context); }) {
        return instance().install(context);
      }
      return Status::ok();
    });
  }
  Status start(Context& context) noexcept override {
    return guard_lifecycle("start", [&] { return instance().start(context); });
  }
  Status stop(Context& context) noexcept override {
    return guard_lifecycle("stop", [&] {
      if constexpr (requires(Impl & impl) { impl.stop(context); }) {
        if (impl_) return impl_->stop(context);
      }
      return Status::ok();
    });
  }

 private:
  // Constructed lazily so that a throwing constructor is reported like any lifecycle error.
  Impl& instance() {
    if (!impl_) impl_ = std::make_unique<Impl>();
    return *impl_;
  }

  std::unique_ptr<Impl> impl_;
};

}  // namespace detail
}  // namespace lore::sdk

// Plugin class, its name and its semver version (both must match plugin.yaml).
#define LORE_PLUGIN(PluginClass, plugin_name, plugin_version)                         \
  extern "C" __attribute__((visibility("default"))) const LorePluginDescriptor*       \
  lore_plugin_descriptor() noexcept {                                                 \
    static const LorePluginDescriptor descriptor{                                     \
        sizeof(LorePluginDescriptor),                                                 \
        LORE_SDK_ABI,                                                                 \
        plugin_name,                                                                  \
        plugin_version,                                                               \
        LORE_SDK_BUILD_FINGERPRINT,                                                   \
        []() noexcept -> ::lore::sdk::Plugin* {                                       \
          return new (std::nothrow)::lore::sdk::detail::PluginAdapter<PluginClass>(); \
        },                                                                            \
        [](::lore::sdk::Plugin* plugin) noexcept { delete plugin; },                  \
    };                                                                                \
    return &descriptor;                                                               \
  }
