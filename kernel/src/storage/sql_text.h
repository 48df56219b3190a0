// Lexical work on SQL text that SOCI does not do: `?` placeholders and multi-statement scripts.
// Hand-written because it only has to tell code from quoted strings and comments; no Debian
// library offers a SQL lexer for both SQLite and MySQL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lore {

struct RewrittenSql {
  std::string text;  // with :p1, :p2, ... in place of each ?
  std::size_t placeholders = 0;
};

// Replaces every `?` outside quotes and comments with SOCI's `:pN`.
RewrittenSql rewrite_placeholders(std::string_view sql);

struct ScriptStatement {
  std::string text;  // trimmed, without the trailing ';'
  int line = 1;      // where it starts in the script, for messages
};

// Splits a script at ';' outside quotes and comments; drops empty statements and comments-only
// pieces.
std::vector<ScriptStatement> split_statements(std::string_view script);

}  // namespace lore
