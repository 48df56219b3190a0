// hello: the smallest complete plugin. It declares its own hooks (an action other plugins can
// observe and a filter they can change the greeting with), listens to a kernel hook, reads its
// settings and serves routes. It also counts visits in its own table (created by
// migrations/0001_create_visits.sql) and serves the list from the cache, invalidated after each
// commit that changes it.
#include <lore/sdk.h>

#include <cstdint>
#include <string>

// Hook payloads live in a named namespace: the kernel checks payload types by name across
// plugins, and anonymous-namespace names are not unique.
namespace hello {
struct Greeted {
  std::string name;
  std::string greeting;
};
struct Visited {
  std::string name;
  std::int64_t visits;  // the name's total, including this visit
};
}  // namespace hello

namespace {

using namespace lore::sdk;
using hello::Greeted;
using hello::Visited;

constexpr Action<Greeted> greeted{"hello.greeted", "After hello greeted someone."};
constexpr Filter<std::string> greeting_text{"hello.greeting", "The greeting hello answers with."};
constexpr Action<Visited> visited{"hello.visited",
                                  "After a visit was counted; fired once its transaction has "
                                  "committed, never for one that rolled back."};

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
    auto greet =
        ctx.routes().add(route, [greeting, filter, announce](const http::Request& request) {
          const std::string name = request.query_param("name").value_or("world");
          check_name(name);
          const std::string text = filter.apply(greeting + ", " + name);
          announce.fire(Greeted{name, text});
          return http::Response::json({{"greeting", text}});
        });
    if (!greet) return greet;
    if (auto s = add_visit_routes(ctx); !s) return s;
    return Status::ok();
  }

 private:
  static void check_name(const std::string& name) {
    if (name.empty() || name.size() > 64)
      throw http::Error(400, "invalid_name", "name must be 1 to 64 characters");
  }

  // POST records a visit in a transaction and fires hello.visited once it has committed; the
  // cached list is dropped by a listener of that hook, so any plugin that caches something
  // derived from visits invalidates it the same way. Invalidating before the commit would let
  // a reader cache the old rows again in between. GET serves the list from the cache,
  // computing it once however many ask at once.
  static Status add_visit_routes(Context& ctx) {
    const auto ttl =
        std::chrono::milliseconds(ctx.settings().get<std::int64_t>("visits_cache_ttl_ms"));
    db::Database& database = ctx.database();
    Cache& cache = ctx.cache();
    const Clock& clock = ctx.clock();
    if (auto s = ctx.hooks().declare(visited); !s) return s;
    ctx.hooks().on(visited, [&cache](const Visited&) { cache.invalidate("visits"); },
                   {.label = "hello.forget-cached-visits"});
    ActionRef<Visited> announce_visit(ctx.hooks(), visited);

    RouteSpec record;
    record.method = http::Method::post;
    record.path = "/api/v1/hello/visits";
    record.summary = "Counts a visit by {\"name\"}; answers the name's total.";
    record.access = http::Access::anonymous;
    record.openapi = {
        {"requestBody",
         {{"required", true},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"},
                {"required", {"name"}},
                {"properties", {{"name", {{"type", "string"}, {"maxLength", 64}}}}}}}}}}}}}};
    auto s = ctx.routes().add(record, [&database, &clock,
                                       announce_visit](const http::Request& request) {
      const auto body = http::parse_json_body(request);
      if (!body.is_object() || !body.contains("name") || !body["name"].is_string())
        throw http::Error(400, "invalid_name", "expected {\"name\": \"...\"}");
      const std::string name = body["name"].get<std::string>();
      check_name(name);
      const auto now = clock.now_ms();
      const auto visits = database.transact([&](db::Transaction& tx) {
        // One upsert: the first visit inserts, later ones increment, whoever else is counting.
        tx.execute(
            db::upsert_sql_with(
                tx.dialect(), "hello_visits", {"name", "visits", "first_at", "last_at"}, {"name"},
                "visits = visits + 1, last_at = " + db::inserted_value(tx.dialect(), "last_at")),
            {name, 1, now, now});
        const auto total = tx.query_one("SELECT visits FROM hello_visits WHERE name = ?", {name})
                               ->get<std::int64_t>("visits");
        tx.after_commit([announce_visit, name, total] {
          announce_visit.fire(Visited{name, total});
        });
        return total;
      });
      return http::Response::json({{"name", name}, {"visits", visits}}, 201);
    });
    if (!s) return s;

    RouteSpec list;
    list.method = http::Method::get;
    list.path = "/api/v1/hello/visits";
    list.summary = "The most frequent visitors, most visits first (?limit=1..100, default 10).";
    list.access = http::Access::anonymous;
    list.openapi = {{"parameters",
                     {{{"name", "limit"},
                       {"in", "query"},
                       {"required", false},
                       {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}}}}}};
    return ctx.routes().add(list, [&database, &cache, ttl](const http::Request& request) {
      int limit = 10;
      if (auto text = request.query_param("limit")) {
        try {
          std::size_t used = 0;
          limit = std::stoi(*text, &used);
          if (used != text->size()) limit = 0;
        } catch (const std::exception&) {
          limit = 0;
        }
        if (limit < 1 || limit > 100)
          throw http::Error(400, "invalid_limit", "limit must be an integer from 1 to 100");
      }
      auto read = [&database, limit]() -> std::optional<std::string> {
        nlohmann::json visitors = nlohmann::json::array();
        for (const auto& row : database.session().query(
                 "SELECT name, visits, last_at FROM hello_visits ORDER BY visits DESC, name "
                 "LIMIT ?",
                 {limit}))
          visitors.push_back({{"name", row.get<std::string>("name")},
                              {"visits", row.get<std::int64_t>("visits")},
                              {"last_at_ms", row.get<std::int64_t>("last_at")}});
        return nlohmann::json{{"visitors", visitors}}.dump();
      };
      // A database error inside `read` is rethrown here and answers 503; a request that waited
      // for another's failed read gets nullopt and answers the same.
      auto body = ttl.count() > 0
                      ? cache.get_or_compute("visits", "top:" + std::to_string(limit), ttl, read)
                      : read();
      if (!body) throw db::Error(db::ErrorKind::unavailable, "the visitor list could not be read");
      return http::Response::text(std::move(*body), 200, "application/json");
    });
  }
};

}  // namespace

LORE_PLUGIN(Hello, "hello", "1.1.0")
