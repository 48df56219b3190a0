// A database of its own for one test, so suites can run in parallel: a SQLite file in a
// temporary directory, or a fresh lore_test_<unique> schema on the MariaDB that `make test`
// starts (LORE_TEST_MYSQL_URL), dropped again when the object dies.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lore/sdk/sql_dialect.h"
#include "support/test_config.h"

namespace lore::test {

class TestDatabase {
 public:
  static TestDatabase sqlite();
  // nullopt when LORE_TEST_MYSQL_URL is not set (outside `make test`).
  static std::optional<TestDatabase> mysql();
  // sqlite() or mysql() by dialect; nullopt only for mysql outside `make test`.
  static std::optional<TestDatabase> of(sdk::db::Dialect dialect);

  TestDatabase(TestDatabase&&) noexcept;
  TestDatabase& operator=(TestDatabase&&) noexcept;
  ~TestDatabase();

  sdk::db::Dialect dialect() const { return dialect_; }
  // sqlite://... or mysql://lore:lore@127.0.0.1:PORT/lore_test_...
  const std::string& url() const { return url_; }
  // A YAML block for kernel_yaml's `extra`: database:\n  url: ...\n plus `more` lines.
  std::string yaml(const std::string& more = "") const;

 private:
  TestDatabase() = default;

  sdk::db::Dialect dialect_ = sdk::db::Dialect::sqlite;
  std::string url_;
  std::string admin_url_;  // mysql: the base URL, to drop the schema
  std::string schema_;
  std::unique_ptr<TempDir> dir_;
};

}  // namespace lore::test
