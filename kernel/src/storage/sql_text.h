// Lexical work on SQL text that SOCI does not do: `?` placeholders and multi-statement scripts.
// Hand-written because it only has to tell code from quoted strings and comments; no Debian
// library offers a SQL lexer for both SQLite and MySQL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/sql_dialect.h"

namespace lore {

struct RewrittenSql {
  std::string text;  // with :p1, :p2, ... in place of each ?
  std::size_t placeholders = 0;
};

// Replaces every `?` outside quotes and comments with SOCI's `:pN`, reading the text as MySQL
// does (a backslash escapes the next character inside quotes). SQLite statements need no
// rewriting: they go to SQLite's API, which takes `?` itself.
RewrittenSql rewrite_placeholders(std::string_view sql);

struct ScriptStatement {
  std::string text;  // trimmed, without the trailing ';'
  int line = 1;      // where it starts in the script, for messages
};

// "?, ?, ?": `count` placeholders for an IN (...) list. An empty IN list is a syntax error in
// both dialects: callers decide what an empty list means before asking.
std::string sql_placeholders(std::size_t count);

// The start of a statement for a message: on one line, at most `most` bytes, "..." if cut.
std::string sql_excerpt(std::string_view sql, std::size_t most = 200);

// Splits a script at ';' outside quotes and comments; drops empty statements and comments-only
// pieces. A comment inside a statement becomes one space. The dialect decides whether a
// backslash escapes a quote (MySQL) or is an ordinary character (SQLite).
std::vector<ScriptStatement> split_statements(std::string_view script, sdk::db::Dialect dialect);

}  // namespace lore
