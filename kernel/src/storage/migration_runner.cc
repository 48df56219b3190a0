#include "storage/migration_runner.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "storage/pooled_database.h"
#include "storage/schema_statement.h"
#include "storage/sql_text.h"

namespace lore {

namespace {

namespace db = sdk::db;

constexpr const char* kLedgerSchema = R"sql(
CREATE TABLE IF NOT EXISTS lore_schema_migrations (
  component VARCHAR(100) NOT NULL,
  version BIGINT NOT NULL,
  name VARCHAR(200) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at {{time}} NOT NULL,
  duration_ms BIGINT NOT NULL,
  PRIMARY KEY (component, version)
) {{table_options}};
CREATE TABLE IF NOT EXISTS lore_schema_tables (
  table_name VARCHAR(128) NOT NULL PRIMARY KEY,
  component VARCHAR(100) NOT NULL,
  version BIGINT NOT NULL
) {{table_options}};
)sql";

// MySQL: one migrator at a time across every process sharing the database (SQLite serialises
// through BEGIN IMMEDIATE instead).
class MigrationLock {
 public:
  explicit MigrationLock(db::Session& session) : session_(session) {
    if (session.dialect() != db::Dialect::mysql) return;
    auto row = session.query_one("SELECT GET_LOCK('lore_migrations', 60) AS got");
    if (!row || row->get_optional<std::int64_t>("got").value_or(0) != 1)
      throw MigrationError("another process has been migrating this database for 60 s; try again");
    held_ = true;
  }
  ~MigrationLock() {
    if (!held_) return;
    try {
      session_.query("SELECT RELEASE_LOCK('lore_migrations')");
    } catch (const std::exception&) {
      // The lock dies with the connection anyway.
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  db::Session& session_;
  bool held_ = false;
};

std::vector<Migration> by_version(std::vector<Migration> migrations) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return migrations;
}

bool ledger_exists(db::Session& session) {
  const char* sql = session.dialect() == db::Dialect::sqlite
                        ? "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND "
                          "name = 'lore_schema_migrations'"
                        : "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE "
                          "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'lore_schema_migrations'";
  return session.query_one(sql)->get<std::int64_t>("n") > 0;
}

}  // namespace

MigrationRunner::MigrationRunner(db::Database& database, const sdk::Clock& clock,
                                 std::shared_ptr<spdlog::logger> log)
    : database_(database), clock_(clock), log_(std::move(log)) {}

std::string MigrationRunner::prefix_for(const std::string& component) {
  return component == "kernel" ? std::string("lore_") : table_prefix_for(component);
}

void MigrationRunner::ensure_ledger(db::Session& session) {
  for (const auto& statement : split_statements(
           expand_schema_placeholders(kLedgerSchema, session.dialect(), "ledger schema"),
           session.dialect()))
    session.execute(statement.text);
}

std::vector<AppliedMigration> MigrationRunner::read_ledger(db::Session& session,
                                                           const std::string& component) {
  std::vector<AppliedMigration> out;
  for (const auto& row :
       session.query("SELECT version, name, checksum, applied_at FROM lore_schema_migrations "
                     "WHERE component = ? ORDER BY version",
                     {component}))
    out.push_back({row.get<long long>("version"), row.get<std::string>("name"),
                   row.get<std::string>("checksum"), row.get<std::int64_t>("applied_at")});
  return out;
}

MigrationStatus MigrationRunner::status(const std::string& component,
                                        const std::vector<Migration>& migrations) {
  auto session = database_.session();
  // Read-only: a dry run leaves a database without a ledger as it found it.
  if (!ledger_exists(session)) {
    MigrationStatus status;
    status.pending = by_version(migrations);
    return status;
  }
  return compare(session, component, migrations);
}

MigrationStatus MigrationRunner::compare(db::Session& session, const std::string& component,
                                         const std::vector<Migration>& migrations) {
  MigrationStatus status;
  status.applied = read_ledger(session, component);
  std::map<long long, const AppliedMigration*> applied;
  for (const auto& a : status.applied) applied[a.version] = &a;
  std::map<long long, const Migration*> files;
  for (const auto& m : migrations) files[m.version] = &m;
  for (const auto& [version, a] : applied) {
    auto file = files.find(version);
    if (file == files.end()) {
      status.warnings.push_back("migration " +
                                make_migration(component, version, a->name, {}, {}).label() +
                                " is in the ledger but its file is gone");
      continue;
    }
    if (file->second->checksum != a->checksum)
      throw MigrationError("migration " + file->second->label() + " (" + file->second->source +
                           ") was changed after it was applied: ledger checksum " +
                           a->checksum.substr(0, 12) + "..., file " +
                           file->second->checksum.substr(0, 12) +
                           "...; restore the file and put the change in a new migration");
  }
  for (const auto& m : by_version(migrations))
    if (!applied.count(m.version)) status.pending.push_back(m);
  return status;
}

std::vector<std::string> MigrationRunner::statements(const Migration& migration) const {
  std::vector<std::string> out;
  for (auto& s : split_statements(
           expand_schema_placeholders(migration.text, database_.dialect(), migration.source),
           database_.dialect()))
    out.push_back(std::move(s.text));
  return out;
}

std::vector<std::string> MigrationRunner::apply(const std::string& component,
                                                const std::vector<Migration>& migrations) {
  auto session = database_.session();
  ensure_ledger(session);
  MigrationLock lock(session);
  const auto current = compare(session, component, migrations);
  for (const auto& warning : current.warnings) log_->warn("{}", warning);
  std::vector<std::string> applied;
  for (const auto& migration : current.pending) {
    try {
      // False when another process applied it while this one waited for the lock.
      if (apply_one(session, migration)) applied.push_back(migration.label());
    } catch (const MigrationError& e) {
      if (applied.empty()) throw;
      std::string done;
      for (const auto& label : applied) done += (done.empty() ? "" : ", ") + label;
      throw MigrationError(std::string(e.what()) + "\n  applied before it: " + done);
    }
  }
  return applied;
}

bool MigrationRunner::apply_one(db::Session& session, const Migration& migration) {
  const std::string prefix = prefix_for(migration.component);
  const auto parts = split_statements(
      expand_schema_placeholders(migration.text, session.dialect(), migration.source),
      session.dialect());
  if (parts.empty()) throw MigrationError(migration.source + ": no statements");

  // Check every statement before running any.
  std::vector<SchemaStatement> effects;
  std::vector<std::string> tables;
  for (const auto& part : parts) {
    const std::string where = migration.source + ":" + std::to_string(part.line);
    SchemaStatement names;
    try {
      names = read_schema_statement(part.text);
    } catch (const std::invalid_argument& e) {
      throw MigrationError(where + ": " + e.what() + "; refused: " + sql_excerpt(part.text));
    }
    for (const auto* list : {&names.tables, &names.indexes})
      for (const auto& name : *list)
        if (name.rfind(prefix, 0) != 0)
          throw MigrationError(where + ": '" + name + "' does not start with '" + prefix + "'; " +
                               migration.component + "'s tables and indexes must carry its prefix");
    tables.insert(tables.end(), names.tables.begin(), names.tables.end());
    effects.push_back(std::move(names));
  }
  for (const auto& table : tables) {
    auto owner =
        session.query_one("SELECT component FROM lore_schema_tables WHERE table_name = ?", {table});
    if (owner && owner->get<std::string>("component") != migration.component)
      throw MigrationError(migration.source + ": table '" + table + "' belongs to " +
                           owner->get<std::string>("component"));
  }

  const bool transactional_ddl = session.dialect() == db::Dialect::sqlite;
  const auto started = std::chrono::steady_clock::now();
  // Which tables the component owns changes with each statement that creates, drops or renames
  // one: inside the migration's transaction on SQLite; at once on MySQL, where the DDL itself
  // commits at once, so that a migration failing half-way still leaves its tables owned (and
  // an uninstall still drops them).
  auto record_tables = [&](auto& runner, const SchemaStatement& effect) {
    for (const auto& table : effect.dropped)
      runner.execute("DELETE FROM lore_schema_tables WHERE table_name = ? AND component = ?",
                     {table, migration.component});
    for (const auto& table : effect.created)
      runner.execute(insert_if_absent_sql(runner.dialect(), "lore_schema_tables",
                                          {"table_name", "component", "version"}, {"table_name"}),
                     {table, migration.component, migration.version});
  };
  auto run_statements = [&](auto& runner) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      try {
        runner.execute(parts[i].text);
        record_tables(runner, effects[i]);
      } catch (const db::Error& e) {
        std::string message = "migration " + migration.label() + " failed at statement " +
                              std::to_string(i + 1) + " of " + std::to_string(parts.size()) + " (" +
                              migration.source + ":" + std::to_string(parts[i].line) +
                              "): " + e.what() + "\n  statement: " + sql_excerpt(parts[i].text);
        if (transactional_ddl)
          message += "\n  nothing of this migration was applied; the ledger is unchanged";
        else if (i > 0)
          message += "\n  statements 1 to " + std::to_string(i) +
                     " took effect (MySQL commits DDL at once) and the ledger does not list "
                     "this migration: make them rerunnable (IF NOT EXISTS) or undo them by hand";
        else
          message += "\n  nothing of this migration was applied; the ledger is unchanged";
        throw MigrationError(message);
      }
    }
  };
  auto record_unchecked = [&](db::Transaction& tx) {
    const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
    tx.execute(
        "INSERT INTO lore_schema_migrations (component, version, name, checksum, applied_at, "
        "duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
        {migration.component, migration.version, migration.name, migration.checksum,
         clock_.now_ms(), duration});
  };

  auto record = [&](db::Transaction& tx) {
    try {
      record_unchecked(tx);
    } catch (const db::Error& e) {
      throw MigrationError("migration " + migration.label() +
                           ": recording it in the ledger failed: " + e.what());
    }
  };

  if (transactional_ddl) {
    auto tx = session.begin();
    // Another process may have applied it while this one waited for the write lock.
    if (tx.query_one("SELECT 1 AS done FROM lore_schema_migrations WHERE component = ? AND "
                     "version = ?",
                     {migration.component, migration.version}))
      return false;
    run_statements(tx);
    record(tx);
    tx.commit();
  } else {
    run_statements(session);
    auto tx = session.begin();
    record(tx);
    tx.commit();
  }
  log_->info("applied migration {} in {} ms", migration.label(),
             std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - started)
                 .count());
  return true;
}

std::vector<std::string> MigrationRunner::owned_tables(const std::string& component) {
  auto session = database_.session();
  ensure_ledger(session);
  return owned_tables(session, component);
}

std::vector<std::string> MigrationRunner::owned_tables(db::Session& session,
                                                       const std::string& component) {
  std::vector<std::string> out;
  for (const auto& row :
       session.query("SELECT table_name FROM lore_schema_tables WHERE component = ? "
                     "ORDER BY version DESC, table_name",
                     {component}))
    out.push_back(row.get<std::string>("table_name"));
  return out;
}

std::vector<std::string> MigrationRunner::uninstall(const std::string& component) {
  if (component == "kernel") throw MigrationError("the kernel cannot be uninstalled");
  auto session = database_.session();
  ensure_ledger(session);
  MigrationLock lock(session);
  const auto tables = owned_tables(session, component);
  for (const auto& table : tables) session.execute("DROP TABLE IF EXISTS " + table);
  auto tx = session.begin();
  tx.execute("DELETE FROM lore_schema_tables WHERE component = ?", {component});
  tx.execute("DELETE FROM lore_schema_migrations WHERE component = ?", {component});
  tx.commit();
  log_->warn("uninstalled {}: dropped {} table(s)", component, tables.size());
  return tables;
}

}  // namespace lore
