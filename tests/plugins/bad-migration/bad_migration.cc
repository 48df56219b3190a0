// Test plugin: its migrations/0002 fails, so start() must never run. If it did, the route below
// would answer and the tests would notice.
#include <lore/sdk.h>

namespace {
using namespace lore::sdk;

struct BadMigration {
  Status start(Context& ctx) {
    RouteSpec route;
    route.path = "/api/v1/bad-migration";
    route.summary = "Must never be reachable: the plugin's migration fails";
    route.access = http::Access::anonymous;
    return ctx.routes().add(route, [](const http::Request&) { return http::Response::json({}); });
  }
};
}  // namespace

LORE_PLUGIN(BadMigration, "bad-migration", "1.0.0")
