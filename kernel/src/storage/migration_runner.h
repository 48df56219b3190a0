// Applies a component's migrations and keeps the ledger: lore_schema_migrations (component,
// version, name, checksum, applied_at, duration_ms) and lore_schema_tables (which component
// created which table), so that a changed migration is refused and an uninstall drops exactly
// the component's own tables.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "storage/migration.h"

namespace lore {

struct AppliedMigration {
  long long version = 0;
  std::string name;
  std::string checksum;
  std::int64_t applied_at_ms = 0;
};

struct MigrationStatus {
  std::vector<AppliedMigration> applied;
  std::vector<Migration> pending;
  std::vector<std::string> warnings;  // e.g. an applied migration whose file is gone
};

class MigrationRunner {
 public:
  MigrationRunner(sdk::db::Database& database, const sdk::Clock& clock,
                  std::shared_ptr<spdlog::logger> log);

  // Compares the ledger with `migrations`. Throws MigrationError when an applied migration's
  // checksum differs from its file.
  MigrationStatus status(const std::string& component, const std::vector<Migration>& migrations);
  // Applies what is pending, in version order; returns the labels applied. Throws
  // MigrationError naming the migration, the statement and the database's message; the ledger
  // then lists exactly the migrations that completed.
  std::vector<std::string> apply(const std::string& component,
                                 const std::vector<Migration>& migrations);
  // The statements `migration` consists of, as they would run on this database.
  std::vector<std::string> statements(const Migration& migration) const;

  // Tables `component` created, newest first.
  std::vector<std::string> owned_tables(const std::string& component);
  // Drops those tables and forgets the component's migrations; returns the tables dropped.
  std::vector<std::string> uninstall(const std::string& component);

  // "lore_" for the kernel, "auth_password_" for auth-password.
  static std::string prefix_for(const std::string& component);

 private:
  void ensure_ledger(sdk::db::Session& session);
  std::vector<AppliedMigration> read_ledger(sdk::db::Session& session,
                                            const std::string& component);
  MigrationStatus compare(sdk::db::Session& session, const std::string& component,
                          const std::vector<Migration>& migrations);
  std::vector<std::string> owned_tables(sdk::db::Session& session, const std::string& component);
  bool apply_one(sdk::db::Session& session, const Migration& migration);

  sdk::db::Database& database_;
  const sdk::Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace lore
