#include "storage/migration.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "core/sha256.h"

namespace lore {

namespace {

struct Placeholder {
  std::string_view name;
  std::string_view sqlite;
  std::string_view mysql;
};

// The one place the schema spellings of the two dialects meet. Times are BIGINT milliseconds
// since the epoch on both (no DATETIME time zone surprises); booleans are 0/1; text compares
// byte-wise on both (SQLite's BINARY collation, MySQL's utf8mb4_bin).
constexpr Placeholder kPlaceholders[] = {
    {"id", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"},
    {"bool", "INTEGER", "TINYINT(1)"},
    {"text", "TEXT", "LONGTEXT"},
    {"blob", "BLOB", "LONGBLOB"},
    {"time", "BIGINT", "BIGINT"},
    {"table_options", "", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"},
};

}  // namespace

std::string Migration::label() const {
  char version_text[32];
  std::snprintf(version_text, sizeof version_text, "%04lld", version);
  return component + " " + version_text + "_" + name;
}

Migration make_migration(std::string component, long long version, std::string name,
                         std::string source, std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
  Migration m{std::move(component), version,         std::move(name),
              std::move(source),    std::move(text), {}};
  m.checksum = sha256_hex(m.text);
  return m;
}

std::vector<Migration> migrations_from_files(const std::vector<MigrationFile>& files,
                                             const std::string& component,
                                             sdk::db::Dialect dialect) {
  const std::string own = "." + std::string(sdk::db::to_string(dialect)) + ".sql";
  const std::string other =
      dialect == sdk::db::Dialect::sqlite ? std::string(".mysql.sql") : std::string(".sqlite.sql");
  // version → (file, dialect-specific?)
  std::map<long long, std::pair<const MigrationFile*, bool>> chosen;
  std::map<long long, const MigrationFile*> other_dialect_only;
  for (const auto& f : files) {
    const std::string& file = f.name;
    if (file.size() < 4 || file.substr(file.size() - 4) != ".sql") continue;
    auto ends_with = [&](const std::string& suffix) {
      return file.size() > suffix.size() &&
             file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    long long version = 0;
    auto [end, err] = std::from_chars(file.data(), file.data() + file.size(), version);
    if (err != std::errc() || end == file.data() || *end != '_' || version <= 0)
      throw MigrationError(f.source +
                           ": a migration file is named NNNN_description.sql (NNNN a positive "
                           "version), optionally .sqlite.sql or .mysql.sql");
    if (ends_with(other)) {
      other_dialect_only.emplace(version, &f);
      continue;
    }
    const bool specific = ends_with(own);
    auto [it, inserted] = chosen.try_emplace(version, &f, specific);
    if (!inserted) {
      if (it->second.second == specific)
        throw MigrationError(f.source + ": version " + std::to_string(version) +
                             " is also used by " + it->second.first->source);
      if (specific) it->second = {&f, true};  // the dialect's own file wins
    }
  }
  for (const auto& [version, file] : other_dialect_only)
    if (!chosen.count(version))
      throw MigrationError(file->source + ": version " + std::to_string(version) +
                           " has no file for " + std::string(sdk::db::to_string(dialect)) +
                           " (add NNNN_name" + own + " or a generic NNNN_name.sql)");
  std::vector<Migration> out;
  for (const auto& [version, file] : chosen) {
    std::string stem = file.first->name.substr(file.first->name.find('_') + 1);
    for (const std::string& suffix : {own, std::string(".sql")}) {
      if (stem.size() > suffix.size() &&
          stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0) {
        stem.resize(stem.size() - suffix.size());
        break;
      }
    }
    out.push_back(make_migration(component, version, stem, file.first->source, file.first->text));
  }
  return out;
}

std::vector<Migration> load_migrations(const std::filesystem::path& directory,
                                       const std::string& component, sdk::db::Dialect dialect) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) return {};
  std::vector<MigrationFile> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.size() < 4 || name.substr(name.size() - 4) != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) throw MigrationError(entry.path().string() + ": cannot read");
    std::stringstream text;
    text << in.rdbuf();
    files.push_back({name, entry.path().string(), text.str()});
  }
  return migrations_from_files(files, component, dialect);
}

std::string expand_schema_placeholders(std::string_view text, sdk::db::Dialect dialect,
                                       const std::string& source) {
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    auto open = text.find("{{", at);
    if (open == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, open - at));
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      throw MigrationError(source + ": '{{' without a closing '}}'");
    const auto name = text.substr(open + 2, close - open - 2);
    const Placeholder* found = nullptr;
    for (const auto& p : kPlaceholders)
      if (p.name == name) found = &p;
    if (found == nullptr) {
      std::string known;
      for (const auto& p : kPlaceholders)
        known += (known.empty() ? "" : ", ") + std::string(p.name);
      throw MigrationError(source + ": unknown placeholder {{" + std::string(name) +
                           "}} (known: " + known + ")");
    }
    out.append(dialect == sdk::db::Dialect::sqlite ? found->sqlite : found->mysql);
    at = close + 2;
  }
  return out;
}

}  // namespace lore
