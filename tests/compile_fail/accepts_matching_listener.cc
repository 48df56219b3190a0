// Control for the rejects_* cases: the same code with matching types compiles.
#include <lore/sdk.h>

void subscribe(lore::sdk::HookBus& bus) {
  bus.on(lore::sdk::hooks::plugin_started, [](const lore::sdk::PluginLifecycleEvent&) {});
  bus.on(lore::sdk::hooks::readiness,
         [](const lore::sdk::ReadinessReport& report) { return report; });
}
