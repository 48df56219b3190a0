// Must not compile: plugin.started carries a PluginLifecycleEvent, not an int.
#include <lore/sdk.h>

void subscribe(lore::sdk::HookBus& bus) {
  bus.on(lore::sdk::hooks::plugin_started, [](const int&) {});
}
