// Each plugin sees the shared cache through its own namespaces.
#include <gtest/gtest.h>

#include "accounts/account_service.h"
#include "cache/memory_cache.h"
#include "core/clocks.h"
#include "core/logging.h"
#include "plugin/plugin_context.h"
#include "storage/connection_pool.h"
#include "storage/migration_runner.h"
#include "storage/pooled_database.h"

namespace lore {
namespace {

using namespace std::chrono_literals;

TEST(PluginCacheView, PluginsCannotSeeOrInvalidateEachOthersEntries) {
  HookBus hooks;
  RouteTable routes;
  ServiceRegistry services;
  ManualClock clock;
  MemoryCache shared(clock, MemoryCache::Options{100, 0.0});
  ConnectionPool pool(DatabaseAddress{.path = ":memory:"}, DatabaseOptions{}, named_logger("db"));
  PooledDatabase database(pool, "lore_", named_logger("db"));
  MigrationRunner migrations(database, clock, named_logger("migrate"));
  AccountService accounts(database, clock, shared, false, hooks, services, AuthConfig{},
                          named_logger("auth"));
  KernelParts parts{hooks, routes, services, clock, shared, pool, migrations, accounts};
  PluginContext a(parts, "a", "1.0.0", sdk::Settings{}, named_logger("a"));
  PluginContext b(parts, "b", "1.0.0", sdk::Settings{}, named_logger("b"));

  a.cache().set("courses", "1", "from a", 60s);
  b.cache().set("courses", "1", "from b", 60s);
  EXPECT_EQ(a.cache().get("courses", "1"), "from a");
  EXPECT_EQ(b.cache().get("courses", "1"), "from b");
  EXPECT_EQ(shared.get("a/courses", "1"), "from a");  // the kernel's view: prefixed by plugin

  b.cache().invalidate("courses");
  EXPECT_EQ(b.cache().get("courses", "1"), std::nullopt);
  EXPECT_EQ(a.cache().get("courses", "1"), "from a");

  EXPECT_EQ(a.cache().get_or_compute("lists", "top", 60s,
                                     [] { return std::optional<std::string>("computed"); }),
            "computed");
  EXPECT_EQ(shared.get("a/lists", "top"), "computed");

  // Counters are namespaced too.
  EXPECT_EQ(a.cache().increment("limits", "ip", 1, 60s), 1);
  EXPECT_EQ(b.cache().increment("limits", "ip", 1, 60s), 1);
  EXPECT_EQ(a.cache().increment("limits", "ip", 2, 60s), 3);
  EXPECT_EQ(shared.get("a/limits", "ip"), "3");
}

}  // namespace
}  // namespace lore
