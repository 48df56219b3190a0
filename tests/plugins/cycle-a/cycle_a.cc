// Test plugin: part of a dependency cycle, so never started.
#include <lore/sdk.h>

namespace {
struct CycleA {
  lore::sdk::Status start(lore::sdk::Context&) { return lore::sdk::Status::ok(); }
};
}  // namespace

LORE_PLUGIN(CycleA, "cycle-a", "1.0.0")
