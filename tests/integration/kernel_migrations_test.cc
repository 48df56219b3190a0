// The kernel's own migrations: applied at start before any plugin, on SQLite and MariaDB; a
// changed or failing one stops the kernel from starting, with the reason.
#include "storage/kernel_migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/migration.h"
#include "storage/migration_runner.h"
#include "support/in_process.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using ::testing::HasSubstr;

class KernelMigrations : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
  }
  std::unique_ptr<Kernel> kernel(std::vector<Migration> migrations) {
    return std::make_unique<Kernel>(
        config_from_yaml(kernel_yaml(0, "  hello: { enabled: true }\n", db_->yaml())),
        KernelOptions{.serve_http = false, .kernel_migrations = std::move(migrations)});
  }
  static Migration things(const std::string& text) {
    return make_migration("kernel", 1, "create_things", "kernel/migrations/0001_create_things.sql",
                          text);
  }

  std::optional<TestDatabase> db_;
};

TEST_P(KernelMigrations, AreAppliedAtStartBeforeThePlugins) {
  auto k =
      kernel({things("CREATE TABLE lore_things (id {{id}}, name VARCHAR(20) NOT NULL) "
                     "{{table_options}};\nINSERT INTO lore_things (name) VALUES ('first');")});
  k->start();
  EXPECT_EQ(state_of(*k, "hello"), "running");
  auto session = k->database().session();
  EXPECT_EQ(session.query_one("SELECT name FROM lore_things")->get<std::string>("name"), "first");
  const auto status = k->migrations().status("kernel", k->kernel_migrations());
  ASSERT_EQ(status.applied.size(), 1u);
  EXPECT_EQ(status.applied[0].name, "create_things");
  EXPECT_TRUE(status.pending.empty());
  EXPECT_THAT(k->migrations().owned_tables("kernel"), ::testing::ElementsAre("lore_things"));
  k->stop();

  // A second start applies nothing again (the row is not inserted twice).
  auto again =
      kernel({things("CREATE TABLE lore_things (id {{id}}, name VARCHAR(20) NOT NULL) "
                     "{{table_options}};\nINSERT INTO lore_things (name) VALUES "
                     "('first');")});
  again->start();
  EXPECT_EQ(again->database()
                .session()
                .query_one("SELECT COUNT(*) AS n FROM lore_things")
                ->get<std::int64_t>("n"),
            1);
}

TEST_P(KernelMigrations, AChangedKernelMigrationStopsTheStartWithTheReason) {
  kernel({things("CREATE TABLE lore_things (id {{id}}) {{table_options}};")})->start();
  auto changed = kernel({things("CREATE TABLE lore_things (id {{id}}, x INT) {{table_options}};")});
  try {
    changed->start();
    FAIL() << "the kernel started with a changed migration";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot use the database"));
    EXPECT_THAT(e.what(), HasSubstr("kernel/migrations/0001_create_things.sql"));
    EXPECT_THAT(e.what(), HasSubstr("changed after it was applied"));
  }
  EXPECT_EQ(state_of(*changed, "hello"), "absent") << "no plugin may start on a bad schema";
}

TEST_P(KernelMigrations, AFailingKernelMigrationStopsTheStartAndNamesTheStatement) {
  auto k =
      kernel({things("CREATE TABLE lore_things (id {{id}}) {{table_options}};\n"
                     "INSERT INTO lore_things (no_such_column) VALUES (1);")});
  try {
    k->start();
    FAIL() << "the kernel started although its migration failed";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("failed at statement 2 of 2"));
    EXPECT_THAT(e.what(), HasSubstr("0001_create_things.sql:2"));
  }
}

TEST(KernelMigrationsEmbedded, TheBinaryCarriesKernelMigrationsForBothDialects) {
  // Whatever is shipped must load for both dialects; the first is the accounts schema.
  for (auto dialect : {Dialect::sqlite, Dialect::mysql}) {
    const auto migrations = kernel_migrations(dialect);
    ASSERT_FALSE(migrations.empty());
    EXPECT_LE(migrations.size(), embedded_kernel_migrations().size());
    EXPECT_EQ(migrations.front().label(), "kernel 0001_create_accounts");
    EXPECT_EQ(migrations.front().source, "kernel/migrations/0001_create_accounts.sql");
  }
}

INSTANTIATE_TEST_SUITE_P(, KernelMigrations, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         [](const ::testing::TestParamInfo<Dialect>& param) {
                           return std::string(sdk::db::to_string(param.param));
                         });

}  // namespace
}  // namespace lore::test
