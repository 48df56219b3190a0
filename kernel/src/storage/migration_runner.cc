#include "storage/migration_runner.h"

#include <chrono>
#include <map>
#include <regex>

#include "storage/pooled_database.h"
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

// The schema objects a migration statement names, found by pattern: enough to hold every
// component to its own prefix and to know which tables it owns.
struct SchemaNames {
  std::vector<std::string> created;  // tables
  std::vector<std::string> dropped;  // tables
  std::vector<std::string> touched;  // tables and indexes that must carry the prefix
};

SchemaNames schema_names(const std::string& statement) {
  using std::regex;
  static const auto flags = regex::ECMAScript | regex::icase;
  static const regex create_table(
      R"(^\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"]?(\w+))", flags);
  static const regex drop_table(R"(^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?[`"]?(\w+))", flags);
  static const regex alter_table(R"(^\s*ALTER\s+TABLE\s+[`"]?(\w+))", flags);
  static const regex rename_to(R"(\bRENAME\s+TO\s+[`"]?(\w+))", flags);
  static const regex create_index(
      R"(^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"]?(\w+)[`"]?\s+ON\s+[`"]?(\w+))",
      flags);
  static const regex drop_index(R"(^\s*DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?[`"]?(\w+))", flags);
  static const regex data_change(
      R"(^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"]?(\w+))",
      flags);
  SchemaNames names;
  std::smatch m;
  if (std::regex_search(statement, m, create_table)) {
    names.created.push_back(m[1]);
    names.touched.push_back(m[1]);
  } else if (std::regex_search(statement, m, drop_table)) {
    names.dropped.push_back(m[1]);
    names.touched.push_back(m[1]);
  } else if (std::regex_search(statement, m, alter_table)) {
    names.touched.push_back(m[1]);
    std::smatch renamed;
    if (std::regex_search(statement, renamed, rename_to)) {
      names.dropped.push_back(m[1]);
      names.created.push_back(renamed[1]);
      names.touched.push_back(renamed[1]);
    }
  } else if (std::regex_search(statement, m, create_index)) {
    names.touched.push_back(m[1]);
    names.touched.push_back(m[2]);
  } else if (std::regex_search(statement, m, drop_index)) {
    names.touched.push_back(m[1]);
  } else if (std::regex_search(statement, m, data_change)) {
    names.touched.push_back(m[1]);
  }
  return names;
}

std::string excerpt(const std::string& sql) {
  std::string out = sql.substr(0, 160);
  for (char& c : out)
    if (c == '\n') c = ' ';
  return sql.size() > 160 ? out + "..." : out;
}

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

}  // namespace

MigrationRunner::MigrationRunner(db::Database& database, const sdk::Clock& clock,
                                 std::shared_ptr<spdlog::logger> log)
    : database_(database), clock_(clock), log_(std::move(log)) {}

std::string MigrationRunner::prefix_for(const std::string& component) {
  return component == "kernel" ? std::string("lore_") : table_prefix_for(component);
}

void MigrationRunner::ensure_ledger(db::Session& session) {
  for (const auto& statement : split_statements(
           expand_schema_placeholders(kLedgerSchema, session.dialect(), "ledger schema")))
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
  ensure_ledger(session);
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
      status.warnings.push_back(component + " migration " + std::to_string(version) + "_" +
                                a->name + " is in the ledger but its file is gone");
      continue;
    }
    if (file->second->checksum != a->checksum)
      throw MigrationError("migration " + file->second->label() + " (" + file->second->source +
                           ") was changed after it was applied: ledger checksum " +
                           a->checksum.substr(0, 12) + "..., file " +
                           file->second->checksum.substr(0, 12) +
                           "...; restore the file and put the change in a new migration");
  }
  for (const auto& m : migrations)
    if (!applied.count(m.version)) status.pending.push_back(m);
  return status;
}

std::vector<std::string> MigrationRunner::statements(const Migration& migration) const {
  std::vector<std::string> out;
  for (auto& s : split_statements(
           expand_schema_placeholders(migration.text, database_.dialect(), migration.source)))
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
    apply_one(session, migration);
    applied.push_back(migration.label());
  }
  return applied;
}

void MigrationRunner::apply_one(db::Session& session, const Migration& migration) {
  const std::string prefix = prefix_for(migration.component);
  const auto parts = split_statements(
      expand_schema_placeholders(migration.text, session.dialect(), migration.source));
  if (parts.empty()) throw MigrationError(migration.source + ": no statements");

  // Check every statement before running any.
  std::vector<std::string> created, dropped;
  for (const auto& part : parts) {
    auto names = schema_names(part.text);
    for (const auto& name : names.touched)
      if (name.rfind(prefix, 0) != 0)
        throw MigrationError(migration.source + ":" + std::to_string(part.line) + ": '" + name +
                             "' does not start with '" + prefix + "'; " + migration.component +
                             "'s tables and indexes must carry its prefix");
    created.insert(created.end(), names.created.begin(), names.created.end());
    dropped.insert(dropped.end(), names.dropped.begin(), names.dropped.end());
  }
  for (const auto& table : created) {
    auto owner =
        session.query_one("SELECT component FROM lore_schema_tables WHERE table_name = ?", {table});
    if (owner && owner->get<std::string>("component") != migration.component)
      throw MigrationError(migration.source + ": table '" + table + "' belongs to " +
                           owner->get<std::string>("component"));
  }

  const bool transactional_ddl = session.dialect() == db::Dialect::sqlite;
  const auto started = std::chrono::steady_clock::now();
  auto run_statements = [&](auto& runner) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      try {
        runner.execute(parts[i].text);
      } catch (const db::Error& e) {
        std::string message = "migration " + migration.label() + " failed at statement " +
                              std::to_string(i + 1) + " of " + std::to_string(parts.size()) + " (" +
                              migration.source + ":" + std::to_string(parts[i].line) +
                              "): " + e.what() + "\n  statement: " + excerpt(parts[i].text);
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
  auto record = [&](db::Transaction& tx) {
    const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
    for (const auto& table : dropped)
      tx.execute("DELETE FROM lore_schema_tables WHERE table_name = ? AND component = ?",
                 {table, migration.component});
    for (const auto& table : created)
      tx.execute(insert_if_absent_sql(tx.dialect(), "lore_schema_tables",
                                      {"table_name", "component", "version"}, {"table_name"}),
                 {table, migration.component, migration.version});
    tx.execute(
        "INSERT INTO lore_schema_migrations (component, version, name, checksum, applied_at, "
        "duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
        {migration.component, migration.version, migration.name, migration.checksum,
         std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
             .count(),
         duration});
  };

  if (transactional_ddl) {
    auto tx = session.begin();
    // Another process may have applied it while this one waited for the write lock.
    if (tx.query_one("SELECT 1 AS done FROM lore_schema_migrations WHERE component = ? AND "
                     "version = ?",
                     {migration.component, migration.version}))
      return;
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
