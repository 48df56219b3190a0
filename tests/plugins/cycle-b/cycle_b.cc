// Test plugin: part of a dependency cycle, so never started.
#include <lore/sdk.h>

namespace {
struct CycleB {
  lore::sdk::Status start(lore::sdk::Context&) { return lore::sdk::Status::ok(); }
};
}  // namespace

LORE_PLUGIN(CycleB, "cycle-b", "1.0.0")
