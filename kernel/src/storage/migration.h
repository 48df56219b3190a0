// A component's schema history: migrations/NNNN_name.sql files (or NNNN_name.sqlite.sql and
// NNNN_name.mysql.sql when the dialects need different text), each with a checksum so that an
// applied migration cannot change unnoticed.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/sql_dialect.h"

namespace lore {

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Migration {
  std::string component;  // "kernel" or a plugin's name
  long long version = 0;
  std::string name;      // the file name without version and extension
  std::string source;    // path, for messages
  std::string text;      // as written, line endings normalised to \n
  std::string checksum;  // SHA-256 of `text`, hex

  std::string label() const;  // "hello 0001_create_visits"
};

struct MigrationFile {
  std::string name;    // "0001_create_users.sql"
  std::string source;  // where it came from, for messages
  std::string text;
};

// The migrations for `dialect` among `files`, ordered by version (the rules of load_migrations).
std::vector<Migration> migrations_from_files(const std::vector<MigrationFile>& files,
                                             const std::string& component,
                                             sdk::db::Dialect dialect);

// Reads the migrations for `dialect` from `directory` (none when it does not exist), ordered by
// version. Throws MigrationError for a badly named file or two files with one version.
std::vector<Migration> load_migrations(const std::filesystem::path& directory,
                                       const std::string& component, sdk::db::Dialect dialect);

Migration make_migration(std::string component, long long version, std::string name,
                         std::string source, std::string text);

// Replaces the schema placeholders ({{id}}, {{bool}}, {{text}}, {{blob}}, {{time}},
// {{table_options}}) with the dialect's spelling. Throws MigrationError on an unknown one.
std::string expand_schema_placeholders(std::string_view text, sdk::db::Dialect dialect,
                                       const std::string& source);

}  // namespace lore
