#include "storage/sqlite_statement.h"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/database_failure.h"

namespace lore {

namespace {

namespace db = sdk::db;

db::Failure failure_of(sqlite3* handle, int code) {
  std::string message = sqlite3_errmsg(handle);
  int extended = sqlite3_extended_errcode(handle);
  if ((extended & 0xff) == SQLITE_OK) extended = code;
  return {sqlite_error_kind(extended, message), message};
}

int bind(sqlite3_stmt* statement, int index, const db::Value& value) {
  const auto& v = value.variant();
  if (std::holds_alternative<std::monostate>(v)) return sqlite3_bind_null(statement, index);
  if (auto* i = std::get_if<std::int64_t>(&v)) return sqlite3_bind_int64(statement, index, *i);
  if (auto* d = std::get_if<double>(&v)) return sqlite3_bind_double(statement, index, *d);
  if (auto* s = std::get_if<std::string>(&v))
    return sqlite3_bind_text64(statement, index, s->data(), s->size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (auto* b = std::get_if<bool>(&v)) return sqlite3_bind_int(statement, index, *b ? 1 : 0);
  const auto& blob = std::get<db::Blob>(v);
  return sqlite3_bind_blob64(statement, index, blob.bytes.data(), blob.bytes.size(),
                             SQLITE_TRANSIENT);
}

db::Value column(sqlite3_stmt* statement, int i) {
  switch (sqlite3_column_type(statement, i)) {
    case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(statement, i));
    case SQLITE_FLOAT: return sqlite3_column_double(statement, i);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
      return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, i)));
    }
    case SQLITE_BLOB: {
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, i));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, i));
      return db::Blob{bytes ? std::string(bytes, size) : std::string()};
    }
    default: return {};
  }
}

}  // namespace

std::optional<db::Failure> run_sqlite_statement(void* native, std::string_view sql,
                                                std::span<const db::Value> params, bool want_rows,
                                                db::Result& out) {
  auto* handle = static_cast<sqlite3*>(native);
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(handle, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  if (rc != SQLITE_OK) return failure_of(handle, rc);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, &sqlite3_finalize);
  if (statement == nullptr) return db::Failure{db::ErrorKind::invalid, "empty statement"};
  for (const char* rest = tail; rest != nullptr && rest < sql.data() + sql.size(); ++rest)
    if (*rest != ' ' && *rest != '\n' && *rest != '\t' && *rest != '\r' && *rest != ';')
      return db::Failure{db::ErrorKind::invalid, "one statement at a time, please"};
  const int expected = sqlite3_bind_parameter_count(statement.get());
  if (static_cast<std::size_t>(expected) != params.size())
    return db::Failure{db::ErrorKind::invalid,
                       "statement has " + std::to_string(expected) + " placeholder(s) but " +
                           std::to_string(params.size()) + " parameter(s) were given"};
  for (std::size_t i = 0; i < params.size(); ++i)
    if (bind(statement.get(), static_cast<int>(i) + 1, params[i]) != SQLITE_OK)
      return failure_of(handle, SQLITE_ERROR);

  // Rows this statement changed: sqlite3_changes() keeps the previous write's count after a
  // statement that writes none (DDL), the total does not.
  const auto changes_before = sqlite3_total_changes64(handle);
  std::shared_ptr<std::vector<std::string>> columns;
  const int count = sqlite3_column_count(statement.get());
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    if (!want_rows) continue;
    if (!columns) {
      columns = std::make_shared<std::vector<std::string>>();
      for (int i = 0; i < count; ++i) columns->push_back(sqlite3_column_name(statement.get(), i));
    }
    std::vector<db::Value> values;
    values.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) values.push_back(column(statement.get(), i));
    out.rows.emplace_back(columns, std::move(values));
  }
  if (rc != SQLITE_DONE) return failure_of(handle, rc);
  if (!want_rows) {
    out.affected_rows = sqlite3_total_changes64(handle) - changes_before;
    // Only an INSERT that inserted has an id; the connection's last one is stale otherwise.
    if (out.affected_rows > 0 && sqlite3_stmt_readonly(statement.get()) == 0)
      out.last_insert_id = sqlite3_last_insert_rowid(handle);
  }
  return std::nullopt;
}

}  // namespace lore
