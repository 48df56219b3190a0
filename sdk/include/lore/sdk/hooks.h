// The hooks the kernel declares and fires. Subscribe with `ctx.hooks().on(hooks::x, ...)`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lore/sdk/hook_bus.h"

namespace lore::sdk {

struct KernelStarted {
  std::string version;
  std::vector<std::string> running_plugins;
};

struct PluginLifecycleEvent {
  std::string name;
  std::string version;
};

struct ReadinessCheck {
  std::string name;
  bool ok = true;
  std::string detail;
};
using ReadinessReport = std::vector<ReadinessCheck>;

namespace hooks {

inline constexpr Action<KernelStarted> kernel_started{
    "kernel.started", "After the HTTP server listens and all enabled plugins have started."};
inline constexpr Action<PluginLifecycleEvent> plugin_started{
    "plugin.started", "After a plugin started (at boot or when enabled at run time)."};
inline constexpr Action<PluginLifecycleEvent> plugin_stopped{
    "plugin.stopped", "After a plugin stopped and its registrations were removed."};
inline constexpr Filter<ReadinessReport> readiness{
    "health.readiness", "Checks reported by GET /readyz; any failing check answers 503."};
inline constexpr Filter<nlohmann::json> openapi_document{
    "openapi.document", "The OpenAPI document served at /api/v1/openapi.json."};

}  // namespace hooks
}  // namespace lore::sdk
