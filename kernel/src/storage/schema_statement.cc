#include "storage/schema_statement.h"

#include <regex>

namespace lore {

namespace {

using std::regex;
constexpr auto kFlags = regex::ECMAScript | regex::icase;
#define NAME R"([`"]?(\w+)[`"]?)"

const char* const kAllowed =
    "migrations may run CREATE TABLE, CREATE INDEX, ALTER TABLE, DROP TABLE, DROP INDEX, "
    "RENAME TABLE, TRUNCATE, INSERT, UPDATE and DELETE on single tables";

// "a, b , `c`" → {a, b, c}
std::vector<std::string> name_list(const std::string& text) {
  static const regex name(NAME, kFlags);
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it)
    out.push_back((*it)[1]);
  return out;
}

void add(std::vector<std::string>& to, const std::string& name) { to.push_back(name); }

}  // namespace

SchemaStatement read_schema_statement(const std::string& statement) {
  static const regex create_table(
      R"(^\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)" NAME, kFlags);
  static const regex create_index(
      R"(^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)" NAME R"(\s+ON\s+)" NAME,
      kFlags);
  static const regex drop_table(
      R"(^\s*DROP\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?)"
      R"(((?:[`"]?\w+[`"]?\s*,\s*)*[`"]?\w+[`"]?)\s*(?:CASCADE|RESTRICT)?\s*$)",
      kFlags);
  static const regex drop_index(
      R"(^\s*DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?)" NAME R"((?:\s+ON\s+)" NAME R"()?\s*$)", kFlags);
  static const regex alter_table(R"(^\s*ALTER\s+(?:IGNORE\s+)?TABLE\s+)" NAME, kFlags);
  static const regex rename_other(R"(\bRENAME\s+(?:COLUMN|INDEX|KEY)\b)", kFlags);
  static const regex rename_table_clause(R"(\bRENAME\s+(?:TO\s+|AS\s+)?)" NAME, kFlags);
  static const regex rename_table(
      R"(^\s*RENAME\s+TABLE\s+((?:[`"]?\w+[`"]?\s+TO\s+[`"]?\w+[`"]?\s*,\s*)*[`"]?\w+[`"]?\s+TO\s+[`"]?\w+[`"]?)\s*$)",
      kFlags);
  static const regex rename_pair(NAME R"(\s+TO\s+)" NAME, kFlags);
  static const regex truncate(R"(^\s*TRUNCATE\s+(?:TABLE\s+)?)" NAME R"(\s*$)", kFlags);
  static const regex insert(
      R"(^\s*(?:INSERT\s+(?:OR\s+\w+\s+|IGNORE\s+)?INTO|REPLACE\s+INTO)\s+)" NAME, kFlags);
  // UPDATE t SET ... (not UPDATE a, b / UPDATE a JOIN b), DELETE FROM t [WHERE ...].
  static const regex update(R"(^\s*UPDATE\s+(?:IGNORE\s+)?)" NAME R"(\s+SET\b)", kFlags);
  static const regex delete_from(
      R"(^\s*DELETE\s+FROM\s+)" NAME R"(\s*(?:$|WHERE\b|ORDER\b|LIMIT\b))", kFlags);

  SchemaStatement out;
  std::smatch m;
  if (std::regex_search(statement, m, create_table)) {
    add(out.created, m[1]);
    add(out.tables, m[1]);
  } else if (std::regex_search(statement, m, create_index)) {
    add(out.indexes, m[1]);
    add(out.tables, m[2]);
  } else if (std::regex_search(statement, m, drop_table)) {
    for (const auto& name : name_list(m[1])) {
      add(out.dropped, name);
      add(out.tables, name);
    }
  } else if (std::regex_search(statement, m, drop_index)) {
    add(out.indexes, m[1]);
    if (m[2].matched) add(out.tables, m[2]);
  } else if (std::regex_search(statement, m, alter_table)) {
    const std::string table = m[1];
    add(out.tables, table);
    static const regex rename_table_keyword(R"(\bRENAME\s+(?:TO|AS)\b)", kFlags);
    if (std::regex_search(statement, rename_other) &&
        std::regex_search(statement, rename_table_keyword))
      throw std::invalid_argument("rename the table in an ALTER TABLE of its own");
    std::smatch renamed;
    if (!std::regex_search(statement, rename_other) &&
        std::regex_search(statement, renamed, rename_table_clause)) {
      add(out.dropped, table);
      add(out.created, renamed[1]);
      add(out.tables, renamed[1]);
    }
  } else if (std::regex_search(statement, m, rename_table)) {
    const std::string pairs = m[1];
    for (std::sregex_iterator it(pairs.begin(), pairs.end(), rename_pair), end; it != end; ++it) {
      add(out.dropped, (*it)[1]);
      add(out.created, (*it)[2]);
      add(out.tables, (*it)[1]);
      add(out.tables, (*it)[2]);
    }
  } else if (std::regex_search(statement, m, truncate) || std::regex_search(statement, m, insert) ||
             std::regex_search(statement, m, update) ||
             std::regex_search(statement, m, delete_from)) {
    add(out.tables, m[1]);
  } else {
    throw std::invalid_argument(kAllowed);
  }
  return out;
}

#undef NAME

}  // namespace lore
