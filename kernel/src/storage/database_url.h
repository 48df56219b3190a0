// database.url, parsed: sqlite://PATH (relative to the working directory, or :memory:) or
// mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?socket=PATH] (mariadb:// is the same).
#pragma once

#include <optional>
#include <string>

#include "lore/sdk/sql_dialect.h"

namespace lore {

struct DatabaseAddress {
  sdk::db::Dialect dialect = sdk::db::Dialect::sqlite;
  std::string path;  // sqlite
  std::string host;  // mysql
  int port = 3306;
  std::string user;
  std::string password;
  std::string database;
  std::string socket;

  bool in_memory() const { return dialect == sdk::db::Dialect::sqlite && path == ":memory:"; }
  // For logs and messages: never the password.
  std::string redacted() const;
};

std::optional<DatabaseAddress> parse_database_url(const std::string& url, std::string& error);

}  // namespace lore
