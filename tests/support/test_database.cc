#include "support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "core/logging.h"
#include "storage/connection_pool.h"
#include "storage/database_url.h"
#include "storage/pooled_database.h"

namespace lore::test {

namespace {

void run_on(const std::string& url, const std::string& statement) {
  std::string error;
  auto address = parse_database_url(url, error);
  if (!address) throw std::runtime_error("bad test database URL: " + error);
  ConnectionPool pool(*address, DatabaseOptions{.pool_size = 1}, named_logger("test-db"));
  PooledDatabase database(pool, "lore_", named_logger("test-db"));
  database.session().execute(statement);
}

}  // namespace

TestDatabase TestDatabase::sqlite() {
  TestDatabase db;
  db.dialect_ = sdk::db::Dialect::sqlite;
  db.dir_ = std::make_unique<TempDir>();
  db.url_ = "sqlite://" + (db.dir_->path() / "lore.db").string();
  return db;
}

std::optional<TestDatabase> TestDatabase::mysql() {
  const char* base = std::getenv("LORE_TEST_MYSQL_URL");
  if (base == nullptr) return std::nullopt;
  static std::atomic<int> counter{0};
  TestDatabase db;
  db.dialect_ = sdk::db::Dialect::mysql;
  db.admin_url_ = base;
  db.schema_ = "lore_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
               std::to_string(std::random_device{}() % 100000);
  run_on(db.admin_url_,
         "CREATE DATABASE " + db.schema_ + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  const auto slash = db.admin_url_.rfind('/');
  db.url_ = db.admin_url_.substr(0, slash + 1) + db.schema_;
  return db;
}

std::optional<TestDatabase> TestDatabase::of(sdk::db::Dialect dialect) {
  if (dialect == sdk::db::Dialect::sqlite) return sqlite();
  return mysql();
}

TestDatabase::TestDatabase(TestDatabase&&) noexcept = default;
TestDatabase& TestDatabase::operator=(TestDatabase&&) noexcept = default;

TestDatabase::~TestDatabase() {
  if (schema_.empty()) return;
  try {
    run_on(admin_url_, "DROP DATABASE IF EXISTS " + schema_);
  } catch (const std::exception&) {
    // The throwaway server is deleted after the run anyway.
  }
}

std::string TestDatabase::yaml(const std::string& more) const {
  return "database:\n  url: \"" + url_ + "\"\n" + more;
}

}  // namespace lore::test
