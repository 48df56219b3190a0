// Test plugin: a filter listener on hello.greeting that throws, an action listener (on its own
// flaky.poked) that throws, a route that throws, and a slow route (for draining in-flight requests
// on stop), and two database routes: one that holds a connection for delay_ms (to exhaust the
// pool) and one that reads through a fresh lease.
#include <lore/sdk.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace {
using namespace lore::sdk;

constexpr Filter<std::string> greeting_text{"hello.greeting"};
constexpr Action<std::string> poked{"flaky.poked", "Fired by GET /api/v1/flaky/poke."};

struct Flaky {
  Status start(Context& ctx) {
    const auto delay = std::chrono::milliseconds(ctx.settings().get<std::int64_t>("delay_ms"));
    ctx.hooks().on(
        greeting_text,
        [](const std::string&) -> std::string { throw std::runtime_error("flaky filter failed"); },
        {.priority = 5});
    if (auto s = ctx.hooks().declare(poked); !s) return s;
    ctx.hooks().on(poked,
                   [](const std::string&) { throw std::runtime_error("flaky action failed"); });

    RouteSpec boom;
    boom.path = "/api/v1/flaky/boom";
    boom.summary = "Always throws";
    boom.access = http::Access::anonymous;
    ctx.routes().add(boom, [](const http::Request&) -> http::Response {
      throw std::logic_error("flaky route failed");
    });

    RouteSpec slow;
    slow.path = "/api/v1/flaky/slow";
    slow.summary = "Sleeps delay_ms, then answers";
    slow.access = http::Access::anonymous;
    ctx.routes().add(slow, [delay, &log = ctx.log()](const http::Request&) {
      log.info("slow request started");  // tests wait for this line: the request is in flight
      std::this_thread::sleep_for(delay);
      return http::Response::json({{"slept_ms", delay.count()}});
    });

    RouteSpec poke;
    poke.path = "/api/v1/flaky/poke";
    poke.summary = "Fires flaky.poked, whose flaky listener throws";
    poke.access = http::Access::anonymous;
    ctx.routes().add(poke, [&hooks = ctx.hooks()](const http::Request& request) {
      hooks.fire(poked, request.query_param("who").value_or("nobody"));
      return http::Response::json({{"poked", true}});
    });

    RouteSpec hold;
    hold.path = "/api/v1/flaky/db-hold";
    hold.summary = "Leases a database connection and keeps it for delay_ms";
    hold.access = http::Access::anonymous;
    ctx.routes().add(hold, [delay, &database = ctx.database()](const http::Request&) {
      auto session = database.session();
      session.query("SELECT 1 AS one");
      std::this_thread::sleep_for(delay);
      return http::Response::json({{"held_ms", delay.count()}});
    });

    RouteSpec read;
    read.path = "/api/v1/flaky/db-read";
    read.summary = "Reads SELECT 1 through a fresh lease";
    read.access = http::Access::anonymous;
    ctx.routes().add(read, [&database = ctx.database()](const http::Request&) {
      auto row = database.session().query_one("SELECT 1 AS one");
      return http::Response::json({{"one", row->get<std::int64_t>("one")}});
    });

    RouteSpec teapot;
    teapot.path = "/api/v1/flaky/teapot";
    teapot.summary = "Answers a client error, which is not a plugin failure";
    teapot.access = http::Access::anonymous;
    return ctx.routes().add(teapot, [](const http::Request&) -> http::Response {
      throw http::Error(418, "teapot", "short and stout");
    });
  }
};
}  // namespace

LORE_PLUGIN(Flaky, "flaky", "1.0.0")
