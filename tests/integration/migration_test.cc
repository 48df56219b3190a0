// The migration runner against real databases (a SQLite file, and MariaDB under `make test`):
// order and idempotence, the ledger, changed files, failing statements, the prefix and
// ownership rules, uninstall, concurrent runners; and a plugin whose migration fails while the
// rest of the kernel keeps running.
#include "storage/migration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clocks.h"
#include "core/logging.h"
#include "storage/connection_pool.h"
#include "storage/database_url.h"
#include "storage/migration_runner.h"
#include "storage/pooled_database.h"
#include "support/in_process.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr std::int64_t kStartMs = 1'800'000'000'000;  // ManualClock's default start

DatabaseAddress address_of(const std::string& url) {
  std::string error;
  auto address = parse_database_url(url, error);
  if (!address) throw std::runtime_error("bad database URL " + url + ": " + error);
  return *address;
}

// A pool, the kernel's view of the database and a runner: what the kernel builds.
struct Connected {
  explicit Connected(const std::string& url)
      : pool(address_of(url), DatabaseOptions{}, named_logger("t")),
        database(pool, "lore_", named_logger("t")),
        runner(database, clock, named_logger("m")) {}

  ConnectionPool pool;
  PooledDatabase database;
  ManualClock clock;
  MigrationRunner runner;
};

bool table_exists(sdk::db::Database& database, const std::string& table) {
  auto session = database.session();
  if (session.dialect() == Dialect::sqlite)
    return session
        .query_one("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", {table})
        .has_value();
  return session
      .query_one(
          "SELECT table_name AS name FROM information_schema.tables "
          "WHERE table_schema = DATABASE() AND table_name = ?",
          {table})
      .has_value();
}

struct LedgerRow {
  long long version;
  std::string name;
  std::string checksum;
  std::int64_t applied_at;
};

std::vector<LedgerRow> ledger(sdk::db::Database& database, const std::string& component) {
  std::vector<LedgerRow> out;
  for (const auto& row : database.session().query(
           "SELECT version, name, checksum, applied_at, duration_ms FROM lore_schema_migrations "
           "WHERE component = ? ORDER BY version",
           {component})) {
    EXPECT_GE(row.get<std::int64_t>("duration_ms"), 0);
    out.push_back({row.get<long long>("version"), row.get<std::string>("name"),
                   row.get<std::string>("checksum"), row.get<std::int64_t>("applied_at")});
  }
  return out;
}

std::vector<long long> ledger_versions(sdk::db::Database& database, const std::string& component) {
  std::vector<long long> out;
  for (const auto& row : ledger(database, component)) out.push_back(row.version);
  return out;
}

// table → owner, from lore_schema_tables.
std::map<std::string, std::string> owners(sdk::db::Database& database) {
  std::map<std::string, std::string> out;
  for (const auto& row :
       database.session().query("SELECT table_name, component FROM lore_schema_tables"))
    out[row.get<std::string>("table_name")] = row.get<std::string>("component");
  return out;
}

std::int64_t count_rows(sdk::db::Database& database, const std::string& table) {
  return database.session().query_one("SELECT COUNT(*) AS n FROM " + table)->get<std::int64_t>("n");
}

std::vector<std::string> labels(const std::vector<Migration>& migrations) {
  std::vector<std::string> out;
  for (const auto& m : migrations) out.push_back(m.label());
  return out;
}

std::string source_of(const std::string& component, const std::string& file) {
  return "/srv/lore/plugins/" + component + "/migrations/" + file;
}

Migration migration(const std::string& component, long long version, const std::string& name,
                    const std::string& text) {
  char file[64];
  std::snprintf(file, sizeof file, "%04lld_%s.sql", version, name.c_str());
  return make_migration(component, version, name, source_of(component, file), text);
}

// widgets: two tables (one with a row) and a column added later.
std::vector<Migration> widgets() {
  return {
      migration("widgets", 1, "create_items",
                "-- The items.\n"
                "CREATE TABLE widgets_items (\n"
                "  id {{id}},\n"
                "  name VARCHAR(64) NOT NULL,\n"
                "  made_at {{time}} NOT NULL\n"
                ") {{table_options}};\n"
                "CREATE INDEX widgets_items_by_name ON widgets_items (name);\n"),
      migration("widgets", 2, "create_tags",
                "CREATE TABLE widgets_tags (name VARCHAR(64) NOT NULL PRIMARY KEY) "
                "{{table_options}};\n"
                "INSERT INTO widgets_tags (name) VALUES ('new');\n"),
      migration("widgets", 3, "add_colour",
                "ALTER TABLE widgets_items ADD COLUMN colour VARCHAR(16);\n"),
  };
}

// The MigrationError `work` throws, or "" when it throws none.
template <class Work>
std::string migration_error(Work&& work) {
  try {
    work();
  } catch (const MigrationError& e) {
    return e.what();
  }
  return "";
}

std::string dialect_name(const ::testing::TestParamInfo<Dialect>& param) {
  return std::string(sdk::db::to_string(param.param));
}

class MigrationDb : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
    connected_ = std::make_unique<Connected>(db_->url());
  }

  MigrationRunner& runner() { return connected_->runner; }
  sdk::db::Database& database() { return connected_->database; }
  ManualClock& clock() { return connected_->clock; }
  bool exists(const std::string& table) { return table_exists(database(), table); }

  std::optional<TestDatabase> db_;
  std::unique_ptr<Connected> connected_;
};

TEST_P(MigrationDb, AppliesInOrderOnceAndRecordsChecksums) {
  const auto all = widgets();
  EXPECT_THAT(runner().apply("widgets", {all[0]}), ElementsAre("widgets 0001_create_items"));
  clock().advance(std::chrono::seconds(5));
  EXPECT_THAT(runner().apply("widgets", all),
              ElementsAre("widgets 0002_create_tags", "widgets 0003_add_colour"));
  EXPECT_TRUE(exists("widgets_items"));
  EXPECT_TRUE(exists("widgets_tags"));
  EXPECT_EQ(count_rows(database(), "widgets_tags"), 1);
  // The column added by 0003 is there.
  database().session().execute(
      "INSERT INTO widgets_items (name, made_at, colour) VALUES ('a', 1, 'red')");

  // A second run applies nothing and runs nothing again (0002's INSERT would add a row).
  EXPECT_THAT(runner().apply("widgets", all), ElementsAre());
  EXPECT_EQ(count_rows(database(), "widgets_tags"), 1);

  const auto rows = ledger(database(), "widgets");
  ASSERT_EQ(rows.size(), 3u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].version, all[i].version);
    EXPECT_EQ(rows[i].name, all[i].name);
    EXPECT_EQ(rows[i].checksum, all[i].checksum);
  }
  // applied_at comes from the runner's clock.
  EXPECT_EQ(rows[0].applied_at, kStartMs);
  EXPECT_EQ(rows[1].applied_at, kStartMs + 5000);
  EXPECT_EQ(rows[2].applied_at, kStartMs + 5000);

  // Ownership: the tables each migration created.
  auto owned = owners(database());
  EXPECT_EQ(owned["widgets_items"], "widgets");
  EXPECT_EQ(owned["widgets_tags"], "widgets");
  EXPECT_EQ(owned.size(), 2u);
  EXPECT_THAT(runner().owned_tables("widgets"), ElementsAre("widgets_tags", "widgets_items"));
}

TEST_P(MigrationDb, StatusListsAppliedAndPendingWithoutApplying) {
  const auto all = widgets();
  auto before = runner().status("widgets", all);
  EXPECT_THAT(before.applied, ElementsAre());
  EXPECT_THAT(labels(before.pending),
              ElementsAre("widgets 0001_create_items", "widgets 0002_create_tags",
                          "widgets 0003_add_colour"));
  EXPECT_THAT(before.warnings, ElementsAre());
  EXPECT_FALSE(exists("widgets_items"));

  runner().apply("widgets", {all[0]});
  auto after = runner().status("widgets", all);
  ASSERT_EQ(after.applied.size(), 1u);
  EXPECT_EQ(after.applied[0].version, 1);
  EXPECT_EQ(after.applied[0].name, "create_items");
  EXPECT_EQ(after.applied[0].checksum, all[0].checksum);
  EXPECT_EQ(after.applied[0].applied_at_ms, kStartMs);
  EXPECT_THAT(labels(after.pending),
              ElementsAre("widgets 0002_create_tags", "widgets 0003_add_colour"));
  EXPECT_FALSE(exists("widgets_tags"));

  // An applied migration whose file is gone is a warning, not an error.
  auto gone = runner().status("widgets", {all[1]});
  EXPECT_THAT(
      gone.warnings,
      ElementsAre("migration widgets 0001_create_items is in the ledger but its file is gone"));
  EXPECT_THAT(labels(gone.pending), ElementsAre("widgets 0002_create_tags"));

  // Another component's ledger is its own.
  EXPECT_THAT(runner().status("gadgets", {}).applied, ElementsAre());
}

TEST_P(MigrationDb, AChangedAppliedMigrationIsRefused) {
  const auto all = widgets();
  runner().apply("widgets", {all[0]});
  auto edited = make_migration("widgets", 1, "create_items", all[0].source,
                               all[0].text + "CREATE TABLE widgets_sneaky (x INT);\n");
  ASSERT_NE(edited.checksum, all[0].checksum);

  const auto error = migration_error([&] { runner().apply("widgets", {edited, all[1]}); });
  EXPECT_THAT(error, HasSubstr("migration widgets 0001_create_items (" + all[0].source +
                               ") was changed after it was applied"));
  EXPECT_THAT(error, HasSubstr("ledger checksum " + all[0].checksum.substr(0, 12)));
  EXPECT_THAT(error, HasSubstr("file " + edited.checksum.substr(0, 12)));
  // Nothing ran: neither the edit nor the next migration.
  EXPECT_FALSE(exists("widgets_sneaky"));
  EXPECT_FALSE(exists("widgets_tags"));
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre(1));
  EXPECT_EQ(ledger(database(), "widgets").at(0).checksum, all[0].checksum);

  // status() refuses too.
  EXPECT_THAT(migration_error([&] { runner().status("widgets", {edited}); }),
              HasSubstr("changed after it was applied"));
  // Line endings are not a change.
  const auto crlf = make_migration("widgets", 1, "create_items", all[0].source, [&] {
    std::string text;
    for (char c : all[0].text) text += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return text;
  }());
  EXPECT_THAT(runner().apply("widgets", {crlf, all[1]}), ElementsAre("widgets 0002_create_tags"));
}

TEST_P(MigrationDb, AFailingStatementNamesItAndLeavesTheLedgerWithoutIt) {
  const auto all = widgets();
  runner().apply("widgets", {all[0]});
  const auto bad = migration("widgets", 2, "break",
                             "-- statement 1 is fine, 2 fails, 3 never runs\n"       // line 1
                             "CREATE TABLE widgets_partial (id BIGINT NOT NULL);\n"  // line 2
                             "\n"
                             "INSERT INTO widgets_missing (id)\n"  // line 4
                             "  VALUES (1);\n"
                             "CREATE TABLE widgets_never (id BIGINT NOT NULL);\n");

  const auto error = migration_error([&] { runner().apply("widgets", {all[0], bad}); });
  EXPECT_THAT(error, HasSubstr("migration widgets 0002_break failed at statement 2 of 3 (" +
                               bad.source + ":4): "));
  EXPECT_THAT(error, HasSubstr("widgets_missing"));  // the database's message names the table
  EXPECT_THAT(error, HasSubstr("statement: INSERT INTO widgets_missing (id)   VALUES (1)"));

  // The ledger lists exactly what completed: 0001, not 0002.
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre(1));
  EXPECT_THAT(labels(runner().status("widgets", {all[0], bad}).pending),
              ElementsAre("widgets 0002_break"));
  EXPECT_TRUE(exists("widgets_items"));
  EXPECT_FALSE(exists("widgets_never"));
  if (GetParam() == Dialect::sqlite) {
    // Nothing of the failed migration is owned: it was rolled back whole.
    EXPECT_THAT(runner().owned_tables("widgets"), ElementsAre("widgets_items"));
    // DDL is transactional: the whole migration was rolled back.
    EXPECT_FALSE(exists("widgets_partial"));
    EXPECT_THAT(error, HasSubstr("nothing of this migration was applied; the ledger is unchanged"));
  } else {
    // MySQL commits DDL at once: statement 1 stays, and the message says so; its table is
    // owned, so an uninstall still drops it.
    EXPECT_TRUE(exists("widgets_partial"));
    EXPECT_THAT(runner().owned_tables("widgets"),
                UnorderedElementsAre("widgets_items", "widgets_partial"));
    EXPECT_THAT(error, HasSubstr("statements 1 to 1 took effect (MySQL commits DDL at once)"));
    EXPECT_THAT(error, Not(HasSubstr("nothing of this migration was applied")));
  }
}

TEST_P(MigrationDb, AFailingFirstStatementAppliedNothing) {
  const auto bad = migration("widgets", 1, "break",
                             "INSERT INTO widgets_missing (id) VALUES (1);\n"
                             "CREATE TABLE widgets_never (id INT);\n");
  const auto error = migration_error([&] { runner().apply("widgets", {bad}); });
  EXPECT_THAT(error, HasSubstr("failed at statement 1 of 2 (" + bad.source + ":1)"));
  EXPECT_THAT(error, HasSubstr("nothing of this migration was applied; the ledger is unchanged"));
  EXPECT_FALSE(exists("widgets_never"));
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre());
}

TEST_P(MigrationDb, AFailureStopsTheLaterMigrations) {
  const auto all = widgets();
  const auto bad = migration("widgets", 2, "break", "INSERT INTO widgets_missing (id) VALUES (1);");
  auto later = all[2];  // 0003 would add a column to widgets_items
  EXPECT_THAT(migration_error([&] {
                runner().apply("widgets", {all[0], bad, later});
              }),
              HasSubstr("widgets 0002_break failed at statement 1 of 1"));
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre(1));
  EXPECT_THROW(database().session().execute(
                   "INSERT INTO widgets_items (name, made_at, colour) VALUES ('a', 1, 'red')"),
               sdk::db::Error);
}

TEST_P(MigrationDb, ATableWithoutThePrefixIsRefusedBeforeAnythingRuns) {
  const auto bad = migration("widgets", 1, "create",
                             "CREATE TABLE widgets_ok (id INT);\n"
                             "CREATE TABLE IF NOT EXISTS `gizmos` (id INT);\n");
  const auto error = migration_error([&] { runner().apply("widgets", {bad}); });
  EXPECT_THAT(error, HasSubstr(bad.source +
                               ":2: 'gizmos' does not start with 'widgets_'; widgets's tables and "
                               "indexes must carry its prefix"));
  EXPECT_FALSE(exists("widgets_ok"));
  EXPECT_FALSE(exists("gizmos"));
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre());

  // Indexes, data changes and renames are held to the prefix as well.
  runner().apply("widgets", {widgets()[0]});
  for (const std::string statement :
       {"CREATE INDEX by_name ON widgets_items (name)",
        "create unique index if not exists widgets_u ON lore_schema_tables (table_name)",
        "ALTER TABLE widgets_items RENAME TO gizmo_items",
        "INSERT INTO lore_schema_migrations (component) VALUES ('x')",
        "DELETE FROM lore_schema_tables", "UPDATE lore_schema_migrations SET checksum = ''",
        "DROP TABLE IF EXISTS lore_schema_tables"}) {
    const auto refused = migration("widgets", 2, "sneaky", statement + ";\n");
    EXPECT_THAT(migration_error([&] { runner().apply("widgets", {refused}); }),
                HasSubstr("does not start with 'widgets_'"))
        << statement;
  }
  EXPECT_TRUE(exists("widgets_items"));
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre(1));
  EXPECT_EQ(owners(database()).size(), 1u);

  // A hyphenated name's prefix uses underscores; the kernel's is lore_.
  EXPECT_EQ(MigrationRunner::prefix_for("auth-password"), "auth_password_");
  EXPECT_EQ(MigrationRunner::prefix_for("kernel"), "lore_");
  EXPECT_THAT(migration_error([&] {
                runner().apply("auth-password", {migration("auth-password", 1, "c",
                                                           "CREATE TABLE auth_users (x INT)")});
              }),
              HasSubstr("'auth_users' does not start with 'auth_password_'"));
  EXPECT_FALSE(exists("auth_users"));
}

TEST_P(MigrationDb, ATableOwnedByAnotherComponentIsRefused) {
  // "auth" (prefix auth_) may name auth_password_users by prefix, but auth-password owns it.
  const auto owner = migration("auth-password", 1, "create_users",
                               "CREATE TABLE auth_password_users (id INT NOT NULL);\n"
                               "INSERT INTO auth_password_users (id) VALUES (7);\n");
  EXPECT_THAT(runner().apply("auth-password", {owner}),
              ElementsAre("auth-password 0001_create_users"));

  const auto intruder = migration("auth", 1, "create",
                                  "CREATE TABLE auth_sessions (id INT);\n"
                                  "CREATE TABLE IF NOT EXISTS auth_password_users (id INT);\n");
  const auto error = migration_error([&] { runner().apply("auth", {intruder}); });
  EXPECT_THAT(
      error, HasSubstr(intruder.source + ": table 'auth_password_users' belongs to auth-password"));
  EXPECT_FALSE(exists("auth_sessions"));
  EXPECT_THAT(ledger_versions(database(), "auth"), ElementsAre());
  EXPECT_EQ(owners(database())["auth_password_users"], "auth-password");
  EXPECT_EQ(count_rows(database(), "auth_password_users"), 1);
  EXPECT_THAT(runner().owned_tables("auth"), ElementsAre());
}

TEST_P(MigrationDb, RenamesAndDropsMoveOwnership) {
  const auto all = widgets();
  runner().apply("widgets", {all[0], all[1]});
  runner().apply("widgets", {all[0], all[1],
                             migration("widgets", 3, "rename",
                                       "ALTER TABLE widgets_tags RENAME TO widgets_labels;"),
                             migration("widgets", 4, "drop_items", "DROP TABLE widgets_items;")});
  EXPECT_THAT(runner().owned_tables("widgets"), ElementsAre("widgets_labels"));
  EXPECT_TRUE(exists("widgets_labels"));
  EXPECT_FALSE(exists("widgets_tags"));
  EXPECT_FALSE(exists("widgets_items"));
  EXPECT_THAT(runner().uninstall("widgets"), ElementsAre("widgets_labels"));
  EXPECT_FALSE(exists("widgets_labels"));
}

TEST_P(MigrationDb, UninstallDropsExactlyTheComponentsTablesAndForgetsItsLedger) {
  const auto all = widgets();
  runner().apply("widgets", all);
  const auto gadgets =
      std::vector<Migration>{migration("gadgets", 1, "create_parts",
                                       "CREATE TABLE gadgets_parts (id INT NOT NULL);\n"
                                       "INSERT INTO gadgets_parts (id) VALUES (1), (2);\n")};
  runner().apply("gadgets", gadgets);
  // A table nobody's migration created (e.g. made by hand) is not the component's to drop.
  database().session().execute("CREATE TABLE widgets_by_hand (id INT)");

  EXPECT_THAT(runner().uninstall("widgets"), ElementsAre("widgets_tags", "widgets_items"));
  EXPECT_FALSE(exists("widgets_items"));
  EXPECT_FALSE(exists("widgets_tags"));
  EXPECT_TRUE(exists("widgets_by_hand"));
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre());
  EXPECT_THAT(runner().owned_tables("widgets"), ElementsAre());
  EXPECT_THAT(runner().status("widgets", all).pending, testing::SizeIs(3));

  // The other component is untouched.
  EXPECT_TRUE(exists("gadgets_parts"));
  EXPECT_EQ(count_rows(database(), "gadgets_parts"), 2);
  EXPECT_THAT(ledger_versions(database(), "gadgets"), ElementsAre(1));
  EXPECT_THAT(runner().owned_tables("gadgets"), ElementsAre("gadgets_parts"));

  // Uninstalling again finds nothing; the kernel cannot be uninstalled.
  EXPECT_THAT(runner().uninstall("widgets"), ElementsAre());
  EXPECT_THAT(migration_error([&] { runner().uninstall("kernel"); }),
              HasSubstr("the kernel cannot be uninstalled"));

  // Applying again recreates everything, data migrations included.
  EXPECT_THAT(runner().apply("widgets", all), testing::SizeIs(3));
  EXPECT_TRUE(exists("widgets_items"));
  EXPECT_EQ(count_rows(database(), "widgets_tags"), 1);
  EXPECT_THAT(ledger_versions(database(), "widgets"), ElementsAre(1, 2, 3));
}

TEST_P(MigrationDb, ConcurrentRunnersApplyEachMigrationExactlyOnce) {
  // A few rounds, each with fresh components, to give the race several chances.
  for (int round = 0; round < 4; ++round) {
    const std::string component = "race" + std::to_string(round);
    std::vector<Migration> all;
    for (int v = 1; v <= 3; ++v) {
      const std::string table = component + "_t" + std::to_string(v);
      all.push_back(migration(component, v, "t" + std::to_string(v),
                              "CREATE TABLE " + table +
                                  " (id INT NOT NULL);\n"
                                  "INSERT INTO " +
                                  table + " (id) VALUES (" + std::to_string(v) + ");\n"));
    }
    // Each runner has a pool of its own, as two processes would. The database file exists and
    // is in WAL mode already (as after any earlier start): two connections switching a brand-new
    // SQLite file to WAL at the same moment is a race of the pool, not of the runner.
    database().session().query("SELECT 1 AS one");
    Connected first(db_->url()), second(db_->url());
    std::latch go(2);
    std::vector<std::string> applied[2];
    std::string errors[2];
    auto run = [&](int i, MigrationRunner& runner) {
      go.arrive_and_wait();
      try {
        applied[i] = runner.apply(component, all);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    };
    std::thread a(run, 0, std::ref(first.runner));
    std::thread b(run, 1, std::ref(second.runner));
    a.join();
    b.join();

    EXPECT_EQ(errors[0], "") << "round " << round;
    EXPECT_EQ(errors[1], "") << "round " << round;
    EXPECT_THAT(ledger_versions(database(), component), ElementsAre(1, 2, 3)) << "round " << round;
    for (int v = 1; v <= 3; ++v)  // each INSERT ran once
      EXPECT_EQ(count_rows(database(), component + "_t" + std::to_string(v)), 1)
          << "round " << round;
    // Between them they applied every migration.
    std::set<std::string> either(applied[0].begin(), applied[0].end());
    either.insert(applied[1].begin(), applied[1].end());
    EXPECT_EQ(either.size(), 3u) << "round " << round;
    // MySQL: the second runner waits for the lock, then finds nothing pending. (SQLite: the
    // loser also lists what the winner applied; see apply_one's early return.)
    if (GetParam() == Dialect::mysql) {
      EXPECT_EQ(applied[0].size() + applied[1].size(), 3u) << "round " << round;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(, MigrationDb, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

// A plugin whose migration fails is marked failed; the kernel and the other plugins keep going.
class MigrationPlugin : public ::testing::TestWithParam<Dialect> {};

TEST_P(MigrationPlugin, AFailingMigrationFailsOnlyThatPlugin) {
  auto db = TestDatabase::of(GetParam());
  if (!db) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
  Kernel kernel(config_from_yaml(kernel_yaml(0,
                                             "  hello: { enabled: true }\n"
                                             "  bad-migration: { enabled: true }\n",
                                             db->yaml())),
                KernelOptions{.serve_http = false});
  kernel.start();

  EXPECT_EQ(state_of(kernel, "bad-migration"), "failed");
  const auto reason = reason_of(kernel, "bad-migration");
  EXPECT_THAT(reason, HasSubstr("migration failed: "));
  EXPECT_THAT(reason, HasSubstr("migration bad-migration 0002_break failed at statement 2 of 2"));
  EXPECT_THAT(reason, HasSubstr("0002_break.sql:5"));
  // start() never ran: its route does not exist.
  EXPECT_EQ(kernel.handle(request(Method::get, "/api/v1/bad-migration")).status, 404);
  // 0001 was applied and recorded, 0002 was not.
  EXPECT_THAT(ledger_versions(kernel.database(), "bad-migration"), ElementsAre(1));
  EXPECT_TRUE(table_exists(kernel.database(), "bad_migration_notes"));
  EXPECT_EQ(table_exists(kernel.database(), "bad_migration_extra"), GetParam() == Dialect::mysql);

  EXPECT_EQ(state_of(kernel, "hello"), "running");
  EXPECT_THAT(ledger_versions(kernel.database(), "hello"), ElementsAre(1));
  auto post = [&](const std::string& name) {
    auto r = request(Method::post, "/api/v1/hello/visits");
    r.body = nlohmann::json{{"name", name}}.dump();
    r.headers["content-type"] = "application/json";
    return kernel.handle(r);
  };
  auto first = post("ada");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(nlohmann::json::parse(first.body)["visits"], 1);
  auto second = post("ada");
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(nlohmann::json::parse(second.body)["visits"], 2);
  ASSERT_EQ(post("grace").status, 201);

  auto list = kernel.handle(request(Method::get, "/api/v1/hello/visits"));
  ASSERT_EQ(list.status, 200) << list.body;
  const auto visitors = nlohmann::json::parse(list.body)["visitors"];
  ASSERT_EQ(visitors.size(), 2u) << list.body;
  EXPECT_EQ(visitors[0]["name"], "ada");
  EXPECT_EQ(visitors[0]["visits"], 2);
  EXPECT_EQ(visitors[1]["name"], "grace");
  EXPECT_EQ(visitors[1]["visits"], 1);
  EXPECT_EQ(kernel.handle(request(Method::get, "/healthz")).status, 200);
  kernel.stop();
}

INSTANTIATE_TEST_SUITE_P(, MigrationPlugin, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
