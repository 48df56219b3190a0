// Test plugin: registers a route and a listener, then throws from start. The kernel must
// report it as failed and remove what it registered before failing.
#include <lore/sdk.h>

#include <stdexcept>

namespace {
using namespace lore::sdk;

struct ThrowsInStart {
  Status start(Context& ctx) {
    RouteSpec route;
    route.path = "/api/v1/throws-in-start";
    route.summary = "Must never be reachable";
    route.access = http::Access::anonymous;
    ctx.routes().add(route, [](const http::Request&) { return http::Response::json({}); });
    ctx.hooks().on(hooks::plugin_started, [](const PluginLifecycleEvent&) {});
    throw std::runtime_error("boom: cannot reach the flux capacitor");
  }
};
}  // namespace

LORE_PLUGIN(ThrowsInStart, "throws-in-start", "1.0.0")
