// hello: the smallest complete plugin. It declares its own hooks (an action other plugins can
// observe and a filter they can change the greeting with), listens to a kernel hook, reads its
// settings and serves a route.
#include <lore/sdk.h>

#include <string>

// Hook payloads live in a named namespace: the kernel checks payload types by name across
// plugins, and anonymous-namespace names are not unique.
namespace hello {
struct Greeted {
  std::string name;
  std::string greeting;
};
}  // namespace hello

namespace {

using namespace lore::sdk;
using hello::Greeted;

constexpr Action<Greeted> greeted{"hello.greeted", "After hello greeted someone."};
constexpr Filter<std::string> greeting_text{"hello.greeting", "The greeting hello answers with."};

class Hello {
 public:
  Status start(Context& ctx) {
    const auto greeting = ctx.settings().get<std::string>("greeting");
    const auto punctuation = ctx.settings().get<std::string>("punctuation");

    if (auto s = ctx.hooks().declare(greeted); !s) return s;
    if (auto s = ctx.hooks().declare(greeting_text); !s) return s;
    ctx.hooks().on(greeting_text,
                   [punctuation](const std::string& text) { return text + punctuation; });
    ctx.hooks().on(hooks::plugin_started, [&log = ctx.log()](const PluginLifecycleEvent& event) {
      log.debug("plugin " + event.name + " " + event.version + " started");
    });

    // Resolved once: the route below fires them on every request.
    FilterRef<std::string> filter(ctx.hooks(), greeting_text);
    ActionRef<Greeted> announce(ctx.hooks(), greeted);

    RouteSpec route;
    route.method = http::Method::get;
    route.path = "/api/v1/hello";
    route.summary = "Greets the caller; ?name= to be greeted by name.";
    route.access = http::Access::anonymous;
    route.execution = Execution::reactor;  // pure in-memory work
    route.openapi = {{"parameters",
                      {{{"name", "name"},
                        {"in", "query"},
                        {"required", false},
                        {"schema", {{"type", "string"}, {"maxLength", 64}}}}}}};
    return ctx.routes().add(route, [greeting, filter, announce](const http::Request& request) {
      const std::string name = request.query_param("name").value_or("world");
      if (name.empty() || name.size() > 64)
        throw http::Error(400, "invalid_name", "name must be 1 to 64 characters");
      const std::string text = filter.apply(greeting + ", " + name);
      announce.fire(Greeted{name, text});
      return http::Response::json({{"greeting", text}});
    });
  }
};

}  // namespace

LORE_PLUGIN(Hello, "hello", "1.0.0")
