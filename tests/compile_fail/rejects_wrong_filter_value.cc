// Must not compile: a filter of ReadinessReport must return a ReadinessReport.
#include <lore/sdk.h>

#include <string>

void subscribe(lore::sdk::HookBus& bus) {
  bus.on(lore::sdk::hooks::readiness,
         [](const lore::sdk::ReadinessReport&) { return std::string("ready"); });
}
