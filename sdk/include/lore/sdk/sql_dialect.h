// The few SQL spellings that differ between SQLite and MySQL/MariaDB, in one place. Schema
// types are spelled with placeholders in migrations (see docs/plugin-guide.md, "Storage"); the
// statements below cover what differs at run time.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace lore::sdk::db {

enum class Dialect { sqlite, mysql };

constexpr std::string_view to_string(Dialect dialect) noexcept {
  return dialect == Dialect::sqlite ? "sqlite" : "mysql";
}

// Appended to a SELECT that must lock the rows it reads until the transaction ends: MySQL's
// "FOR UPDATE"; nothing on SQLite, whose write transactions (BEGIN IMMEDIATE) run one at a time.
constexpr std::string_view row_lock(Dialect dialect) noexcept {
  return dialect == Dialect::mysql ? " FOR UPDATE" : "";
}

namespace detail {

inline std::string joined(std::initializer_list<std::string_view> names, std::string_view glue,
                          std::string_view each = "{}") {
  std::string out;
  for (auto name : names) {
    if (!out.empty()) out += glue;
    for (std::size_t at = 0; at < each.size(); ++at) {
      if (each.substr(at, 2) == "{}") {
        out += name;
        ++at;
      } else {
        out += each[at];
      }
    }
  }
  return out;
}

inline std::string insert_head(std::string_view table,
                               std::initializer_list<std::string_view> columns) {
  std::string sql = "INSERT INTO ";
  sql += table;
  sql += " (" + joined(columns, ", ") + ") VALUES (" + joined(columns, ", ", "?") + ")";
  return sql;
}

}  // namespace detail

// INSERT that updates `update_columns` from the new row when a row with the same unique `key`
// exists. SQLite needs the key columns named; MySQL uses whichever unique key collides.
inline std::string upsert_sql(Dialect dialect, std::string_view table,
                              std::initializer_list<std::string_view> columns,
                              std::initializer_list<std::string_view> key,
                              std::initializer_list<std::string_view> update_columns) {
  std::string sql = detail::insert_head(table, columns);
  if (dialect == Dialect::sqlite)
    sql += " ON CONFLICT (" + detail::joined(key, ", ") + ") DO UPDATE SET " +
           detail::joined(update_columns, ", ", "{} = excluded.{}");
  else
    sql += " ON DUPLICATE KEY UPDATE " + detail::joined(update_columns, ", ", "{} = VALUES({})");
  return sql;
}

// In the SET clause of upsert_sql_with: the value the INSERT tried to write to `column`.
inline std::string inserted_value(Dialect dialect, std::string_view column) {
  return dialect == Dialect::sqlite ? "excluded." + std::string(column)
                                    : "VALUES(" + std::string(column) + ")";
}

// INSERT that, when a row with the same unique `key` exists, runs `set_clause` on it instead
// (unqualified columns there are the existing row's), e.g. a counter:
//   upsert_sql_with(d, "hello_visits", {"name", "visits", "last_at"}, {"name"},
//                   "visits = visits + 1, last_at = " + inserted_value(d, "last_at"))
// One statement, so concurrent writers queue on the row's lock; an INSERT that fails on the key
// followed by an UPDATE deadlocks under concurrency on InnoDB (the failed INSERT leaves a shared
// lock on the row that both writers then want to upgrade).
inline std::string upsert_sql_with(Dialect dialect, std::string_view table,
                                   std::initializer_list<std::string_view> columns,
                                   std::initializer_list<std::string_view> key,
                                   std::string_view set_clause) {
  std::string sql = detail::insert_head(table, columns);
  if (dialect == Dialect::sqlite)
    sql += " ON CONFLICT (" + detail::joined(key, ", ") + ") DO UPDATE SET ";
  else
    sql += " ON DUPLICATE KEY UPDATE ";
  return sql.append(set_clause);
}

// INSERT that does nothing when a row with the same unique `key` exists. Its affected_rows is
// not portable (MySQL, connected with CLIENT_FOUND_ROWS, counts the existing row as 1): to learn
// whether it inserted, run a plain INSERT with Session::try_insert instead. Not MySQL's
// INSERT IGNORE, which would also swallow other errors such as a NULL in a NOT NULL column.
inline std::string insert_if_absent_sql(Dialect dialect, std::string_view table,
                                        std::initializer_list<std::string_view> columns,
                                        std::initializer_list<std::string_view> key) {
  std::string sql = detail::insert_head(table, columns);
  if (dialect == Dialect::sqlite)
    sql += " ON CONFLICT (" + detail::joined(key, ", ") + ") DO NOTHING";
  else
    sql +=
        " ON DUPLICATE KEY UPDATE " + std::string(*key.begin()) + " = " + std::string(*key.begin());
  return sql;
}

}  // namespace lore::sdk::db
