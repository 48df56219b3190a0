#include "storage/sql_text.h"

#include <cctype>

namespace lore {

namespace {

// Calls on_code(i) for every character outside string literals, quoted identifiers and
// comments; returns nothing. Comments are reported through on_comment so that callers can
// tell a comment-only piece from a statement.
// `mysql`: a backslash escapes inside quotes, `#` starts a comment and `--` does only when
// followed by whitespace (so a--1 is arithmetic); SQLite has none of these rules.
template <class OnCode, class OnOther>
void scan(std::string_view sql, bool mysql, OnCode on_code, OnOther on_other) {
  const bool backslash_escapes = mysql;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (backslash_escapes && sql[j] == '\\' && c != '`' && j + 1 < sql.size()) {
          j += 2;  // MySQL's backslash escapes
          continue;
        }
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            j += 2;  // doubled quote
            continue;
          }
          break;
        }
        ++j;
      }
      const std::size_t end = j < sql.size() ? j + 1 : j;
      for (std::size_t k = i; k < end; ++k) on_other(k, false);
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-' &&
               (!mysql || i + 2 >= sql.size() ||
                std::isspace(static_cast<unsigned char>(sql[i + 2])))) {
      while (i < sql.size() && sql[i] != '\n') on_other(i++, true);
    } else if (c == '#' && mysql) {
      while (i < sql.size() && sql[i] != '\n') on_other(i++, true);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      auto close = sql.find("*/", i + 2);
      const std::size_t end = close == std::string_view::npos ? sql.size() : close + 2;
      while (i < end) on_other(i++, true);
    } else {
      on_code(i++);
    }
  }
}

std::string trimmed(std::string_view text) {
  std::size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

}  // namespace

std::string sql_placeholders(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

std::string sql_excerpt(std::string_view sql, std::size_t most) {
  std::string out(sql.substr(0, most));
  for (char& c : out)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  return sql.size() > most ? out + "..." : out;
}

RewrittenSql rewrite_placeholders(std::string_view sql) {
  RewrittenSql out;
  out.text.reserve(sql.size() + 16);
  scan(
      sql, true,
      [&](std::size_t i) {
        if (sql[i] == '?') {
          out.text += ":p" + std::to_string(++out.placeholders);
        } else {
          out.text += sql[i];
        }
      },
      [&](std::size_t i, bool) { out.text += sql[i]; });
  return out;
}

std::vector<ScriptStatement> split_statements(std::string_view script, sdk::db::Dialect dialect) {
  std::vector<ScriptStatement> out;
  std::string current;
  bool has_code = false;
  int line = 1;
  int start_line = 1;
  auto flush = [&] {
    if (has_code) out.push_back({trimmed(current), start_line});
    current.clear();
    has_code = false;
  };
  bool in_comment = false;
  scan(
      script, dialect == sdk::db::Dialect::mysql,
      [&](std::size_t i) {
        in_comment = false;
        const char c = script[i];
        if (c == ';') {
          flush();
        } else {
          if (!has_code && !std::isspace(static_cast<unsigned char>(c))) {
            has_code = true;
            start_line = line;
          }
          if (has_code) current += c;
        }
        if (c == '\n') ++line;
      },
      [&](std::size_t i, bool comment) {
        const char c = script[i];
        if (!comment && !has_code) {
          has_code = true;
          start_line = line;
        }
        if (has_code && !comment) current += c;
        if (!comment) in_comment = false;
        // A comment separates tokens: "1/* x */AS" must stay "1 AS".
        if (has_code && comment && !in_comment) current += c == '\n' ? '\n' : ' ';
        if (has_code && comment && in_comment && c == '\n') current += c;
        if (comment) in_comment = true;
        if (c == '\n') ++line;
      });
  flush();
  return out;
}

}  // namespace lore
