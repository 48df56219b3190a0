// `lore migrate` and `lore plugins uninstall`, run as the real binary against a database of the
// test's own (a SQLite file, and MariaDB under `make test`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "core/logging.h"
#include "storage/connection_pool.h"
#include "storage/database_url.h"
#include "storage/kernel_migrations.h"
#include "storage/pooled_database.h"
#include "support/lore_process.h"
#include "support/test_config.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHelloMigration =
    std::string(LORE_PLUGIN_DIR) + "/hello/migrations/0001_create_visits.sql";

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string dialect_name(const ::testing::TestParamInfo<Dialect>& param) {
  return std::string(sdk::db::to_string(param.param));
}

class CliMigrate : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
  }

  // A configuration file with the build's plugin folders and this test's database.
  std::string config(const std::string& plugins, const std::string& file = "lore.yaml") {
    return dir_.write(file, kernel_yaml(0, plugins, db_->yaml())).string();
  }
  std::string hello_enabled() { return config("  hello: { enabled: true }\n", "enabled.yaml"); }
  std::string hello_disabled() { return config("  hello: { enabled: false }\n", "disabled.yaml"); }

  // Opened only for the question, so the `lore` processes never wait for this one.
  template <class Body>
  auto with_database(Body body) {
    std::string error;
    auto address = parse_database_url(db_->url(), error);
    if (!address) throw std::runtime_error(error);
    ConnectionPool pool(*address, DatabaseOptions{.pool_size = 1}, named_logger("t"));
    PooledDatabase database(pool, "lore_", named_logger("t"));
    return body(database);
  }
  bool table_exists(const std::string& table) {
    return with_database([&](sdk::db::Database& database) {
      auto session = database.session();
      const char* sql = session.dialect() == Dialect::sqlite
                            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
                            : "SELECT table_name AS name FROM information_schema.tables "
                              "WHERE table_schema = DATABASE() AND table_name = ?";
      return session.query_one(sql, {table}).has_value();
    });
  }
  // Rows in the ledger for `component`; 0 also when the ledger does not exist yet.
  std::int64_t ledger_rows(const std::string& component) {
    if (!table_exists("lore_schema_migrations")) return 0;
    return with_database([&](sdk::db::Database& database) {
      return database.session()
          .query_one("SELECT COUNT(*) AS n FROM lore_schema_migrations WHERE component = ?",
                     {component})
          ->get<std::int64_t>("n");
    });
  }

  std::optional<TestDatabase> db_;
  TempDir dir_;
};

TEST_P(CliMigrate, DryRunPrintsWhatWouldRunAndChangesNothing) {
  const auto file = hello_enabled();
  for (int run = 0; run < 2; ++run) {
    auto [status, output] = run_lore({"migrate", "-c", file, "--dry-run"});
    EXPECT_EQ(status, 0) << output;
    // Every kernel migration the binary carries is pending on an empty database.
    const auto kernel_count = kernel_migrations(GetParam()).size();
    EXPECT_GE(kernel_count, 6u);
    EXPECT_THAT(output,
                HasSubstr("kernel: 0 applied, " + std::to_string(kernel_count) + " pending"));
    EXPECT_THAT(output, HasSubstr("  would apply kernel 0001_create_accounts"));
    EXPECT_THAT(output, HasSubstr("  would apply kernel 0002_create_plugin_switches"));
    EXPECT_THAT(output, HasSubstr("  would apply kernel 0003_create_catalog"));
    EXPECT_THAT(output, HasSubstr("hello: 0 applied, 1 pending"));
    EXPECT_THAT(output,
                HasSubstr("  would apply hello 0001_create_visits  (" + kHelloMigration + ")"));
    EXPECT_THAT(output, HasSubstr("    CREATE TABLE hello_visits (\n"));
    EXPECT_THAT(output, HasSubstr("name VARCHAR(64) NOT NULL PRIMARY KEY,\n"));
    EXPECT_THAT(output,
                HasSubstr("    CREATE INDEX hello_visits_by_count ON hello_visits (visits);"));
    // The statements as this database runs them: placeholders spelled for the dialect.
    EXPECT_THAT(output, HasSubstr("first_at BIGINT NOT NULL"));
    EXPECT_THAT(output, Not(HasSubstr("{{")));
    if (GetParam() == Dialect::mysql) {
      EXPECT_THAT(output,
                  HasSubstr(") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;"));
      EXPECT_THAT(output, HasSubstr("database mysql://lore:***@"));  // never the password
    } else {
      EXPECT_THAT(output, Not(HasSubstr("ENGINE=")));
      EXPECT_THAT(output, HasSubstr("database " + db_->url()));
    }
    EXPECT_THAT(output, Not(HasSubstr("applied hello")));
    EXPECT_FALSE(table_exists("hello_visits")) << "run " << run;
    EXPECT_EQ(ledger_rows("hello"), 0) << "run " << run;
  }
}

TEST_P(CliMigrate, MigrateAppliesPendingMigrationsOnce) {
  const auto file = hello_enabled();
  auto [status, output] = run_lore({"migrate", "-c", file});
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, HasSubstr("  pending hello 0001_create_visits  (" + kHelloMigration + ")"));
  EXPECT_THAT(output, HasSubstr("  applied hello 0001_create_visits\n"));
  EXPECT_THAT(output, Not(HasSubstr("CREATE TABLE")));  // statements only with --dry-run
  EXPECT_TRUE(table_exists("hello_visits"));
  EXPECT_EQ(ledger_rows("hello"), 1);

  auto [again_status, again] = run_lore({"migrate", "-c", file});
  EXPECT_EQ(again_status, 0) << again;
  EXPECT_THAT(again, HasSubstr("hello: 1 applied, 0 pending"));
  EXPECT_THAT(again, Not(HasSubstr("applied hello")));
  EXPECT_EQ(ledger_rows("hello"), 1);

  auto [dry_status, dry] = run_lore({"migrate", "-c", file, "--dry-run"});
  EXPECT_EQ(dry_status, 0) << dry;
  EXPECT_THAT(dry, HasSubstr("hello: 1 applied, 0 pending"));
  EXPECT_THAT(dry, Not(HasSubstr("would apply")));
}

TEST_P(CliMigrate, MigrateSkipsDisabledPlugins) {
  auto [status, output] = run_lore({"migrate", "-c", hello_disabled()});
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, Not(HasSubstr("hello")));
  EXPECT_FALSE(table_exists("hello_visits"));
}

TEST_P(CliMigrate, UninstallRefusesAnEnabledPlugin) {
  const auto file = hello_enabled();
  ASSERT_EQ(run_lore({"migrate", "-c", file}).first, 0);
  for (const bool yes : {false, true}) {
    std::vector<std::string> args{"plugins", "uninstall", "hello", "-c", file};
    if (yes) args.push_back("--yes");
    auto [status, output] = run_lore(args);
    EXPECT_NE(status, 0) << output;
    EXPECT_THAT(output, HasSubstr("error: plugin hello is enabled in " + file +
                                  "; set plugins.hello.enabled: false"));
    EXPECT_THAT(output, Not(HasSubstr("dropped")));
    EXPECT_TRUE(table_exists("hello_visits"));
    EXPECT_EQ(ledger_rows("hello"), 1);
  }
}

TEST_P(CliMigrate, RunTimeSwitchesAreListedHonouredAndCleared) {
  const auto disabled = hello_disabled();
  ASSERT_EQ(run_lore({"migrate", "-c", disabled}).first, 0);
  auto [none_status, none] = run_lore({"plugins", "switches", "-c", disabled});
  EXPECT_EQ(none_status, 0) << none;
  EXPECT_THAT(none, HasSubstr("no run-time switches"));
  // An admin switched hello on through the API (user 7), whatever the file says.
  with_database([](sdk::db::Database& database) {
    database.session().execute(
        "INSERT INTO lore_plugin_switches (name, enabled, changed_by, changed_at) "
        "VALUES ('hello', 1, 7, 1764547200000)");
  });
  auto [listed_status, listed] = run_lore({"plugins", "switches", "-c", disabled});
  EXPECT_EQ(listed_status, 0) << listed;
  EXPECT_THAT(
      listed,
      HasSubstr("hello                on        7          2025-12-01T00:00:00.000Z  disabled"));
  EXPECT_THAT(listed, HasSubstr("disabled"));

  // It will run at the next start, so migrate brings its tables, and uninstall refuses.
  auto [migrated_status, migrated] = run_lore({"migrate", "-c", disabled});
  EXPECT_EQ(migrated_status, 0) << migrated;
  EXPECT_THAT(migrated, HasSubstr("  applied hello 0001_create_visits\n"));
  EXPECT_TRUE(table_exists("hello_visits"));
  auto [refused_status, refused] =
      run_lore({"plugins", "uninstall", "hello", "-c", disabled, "--yes"});
  EXPECT_NE(refused_status, 0) << refused;
  EXPECT_THAT(refused, HasSubstr("error: plugin hello is switched on at run time"));
  EXPECT_TRUE(table_exists("hello_visits"));

  // Cleared, the file decides again: hello is disabled, and can be uninstalled.
  auto [cleared_status, cleared] = run_lore({"plugins", "clear-switch", "hello", "-c", disabled});
  EXPECT_EQ(cleared_status, 0) << cleared;
  EXPECT_THAT(cleared, HasSubstr("hello: switch cleared"));
  auto [again_status, again] = run_lore({"plugins", "clear-switch", "hello", "-c", disabled});
  EXPECT_EQ(again_status, 1) << again;
  EXPECT_THAT(again, HasSubstr("error: plugin hello has no run-time switch"));
  auto [gone_status, gone] = run_lore({"plugins", "uninstall", "hello", "-c", disabled, "--yes"});
  EXPECT_EQ(gone_status, 0) << gone;
  EXPECT_FALSE(table_exists("hello_visits"));
}

TEST_P(CliMigrate, UninstallNeedsConfirmationThenDropsAndForgets) {
  const auto enabled = hello_enabled();
  const auto disabled = hello_disabled();
  ASSERT_EQ(run_lore({"migrate", "-c", enabled}).first, 0);
  ASSERT_TRUE(table_exists("hello_visits"));

  // stdin is /dev/null, not a terminal, and there is no --yes.
  auto [refused_status, refused] = run_lore({"plugins", "uninstall", "hello", "-c", disabled});
  EXPECT_NE(refused_status, 0) << refused;
  EXPECT_THAT(refused, HasSubstr("drops 1 table(s) and forgets 1 migration(s):\n  hello_visits\n"));
  EXPECT_THAT(refused,
              HasSubstr("error: not confirmed; type the name at a terminal or pass --yes"));
  EXPECT_THAT(refused, Not(HasSubstr("dropped")));
  EXPECT_TRUE(table_exists("hello_visits"));
  EXPECT_EQ(ledger_rows("hello"), 1);

  auto [status, output] = run_lore({"plugins", "uninstall", "hello", "-c", disabled, "--yes"});
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, HasSubstr("dropped hello_visits\n"));
  EXPECT_THAT(output, HasSubstr("hello uninstalled"));
  EXPECT_FALSE(table_exists("hello_visits"));
  EXPECT_EQ(ledger_rows("hello"), 0);

  // Nothing left to uninstall.
  auto [again_status, again] = run_lore({"plugins", "uninstall", "hello", "-c", disabled, "--yes"});
  EXPECT_EQ(again_status, 0) << again;
  EXPECT_THAT(again, HasSubstr("nothing to uninstall: hello has no tables or migrations"));

  // Enabled again, its migration is pending again, and applies.
  auto [dry_status, dry] = run_lore({"migrate", "-c", enabled, "--dry-run"});
  EXPECT_EQ(dry_status, 0) << dry;
  EXPECT_THAT(dry, HasSubstr("hello: 0 applied, 1 pending"));
  EXPECT_THAT(dry, HasSubstr("would apply hello 0001_create_visits"));
  auto [reapply_status, reapply] = run_lore({"migrate", "-c", enabled});
  EXPECT_EQ(reapply_status, 0) << reapply;
  EXPECT_THAT(reapply, HasSubstr("applied hello 0001_create_visits"));
  EXPECT_TRUE(table_exists("hello_visits"));
}

TEST_P(CliMigrate, AChangedMigrationFileIsRefused) {
  // A copy of hello on a plugin path of the test's own, so its migration can be edited.
  TempDir plugins;
  std::filesystem::copy(std::string(LORE_PLUGIN_DIR) + "/hello", plugins.path() / "hello",
                        std::filesystem::copy_options::recursive);
  const auto migration = plugins.path() / "hello/migrations/0001_create_visits.sql";
  const std::string original = read_file(migration);
  ASSERT_THAT(original, HasSubstr("CREATE TABLE hello_visits"));
  const auto file =
      dir_.write("copy.yaml", "plugin_paths: [\"" + plugins.path().string() + "\"]\n" +
                                  db_->yaml() + "plugins:\n  hello: { enabled: true }\n");

  auto [status, output] = run_lore({"migrate", "-c", file.string()});
  ASSERT_EQ(status, 0) << output;
  EXPECT_THAT(output, HasSubstr("applied hello 0001_create_visits"));

  write_file(migration, original + "-- edited after it was applied\n");
  for (const bool dry_run : {false, true}) {
    std::vector<std::string> args{"migrate", "-c", file.string()};
    if (dry_run) args.push_back("--dry-run");
    auto [changed_status, changed] = run_lore(args);
    EXPECT_NE(changed_status, 0) << changed;
    EXPECT_THAT(changed, HasSubstr("error: hello: migration hello 0001_create_visits (" +
                                   migration.string() + ") was changed after it was applied"));
    EXPECT_THAT(changed, HasSubstr("restore the file and put the change in a new migration"));
  }
  EXPECT_EQ(ledger_rows("hello"), 1);

  // Other line endings are not a change.
  std::string crlf;
  for (char c : original) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write_file(migration, crlf);
  auto [crlf_status, crlf_output] = run_lore({"migrate", "-c", file.string()});
  EXPECT_EQ(crlf_status, 0) << crlf_output;
  EXPECT_THAT(crlf_output, HasSubstr("hello: 1 applied, 0 pending"));
}

TEST_P(CliMigrate, AFailingMigrationFailsTheCommandButNotTheOtherPlugins) {
  const auto file =
      config("  hello: { enabled: true }\n  bad-migration: { enabled: true }\n", "bad.yaml");
  auto [status, output] = run_lore({"migrate", "-c", file});
  EXPECT_EQ(status, 1) << output;
  EXPECT_THAT(output, HasSubstr("error: bad-migration: migration bad-migration 0002_break failed "
                                "at statement 2 of 2 ("));
  EXPECT_THAT(output, HasSubstr("0002_break.sql:5): "));
  EXPECT_THAT(output, HasSubstr("applied hello 0001_create_visits"));
  EXPECT_TRUE(table_exists("hello_visits"));
  EXPECT_TRUE(table_exists("bad_migration_notes"));
  EXPECT_EQ(ledger_rows("bad-migration"), 1);

  auto [again_status, again] = run_lore({"migrate", "-c", file, "--dry-run"});
  EXPECT_EQ(again_status, 0) << again;
  EXPECT_THAT(again, HasSubstr("bad-migration: 1 applied, 1 pending"));
  EXPECT_THAT(again, HasSubstr("would apply bad-migration 0002_break"));
}

INSTANTIATE_TEST_SUITE_P(, CliMigrate, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
