// Test plugin: never started, because its dependency is missing.
#include <lore/sdk.h>

namespace {
struct NeedsMissing {
  lore::sdk::Status start(lore::sdk::Context&) { return lore::sdk::Status::ok(); }
};
}  // namespace

LORE_PLUGIN(NeedsMissing, "needs-missing", "1.0.0")
