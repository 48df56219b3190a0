#include "storage/pooled_connection.h"

#include <mysql.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <charconv>
#include <ctime>
#include <deque>
#include <limits>

#include "storage/database_failure.h"
#include "storage/sql_text.h"
#include "storage/sqlite_statement.h"

namespace lore {

namespace {

namespace db = sdk::db;
using Clock = std::chrono::steady_clock;

// Storage for one bound parameter: SOCI binds by reference, so it must outlive the statement.
struct Bound {
  long long integer = 0;
  double real = 0;
  int flag = 0;
  std::string text;
  soci::indicator indicator = soci::i_ok;
};

void bind(soci::statement& st, const db::Value& value, Bound& slot) {
  const auto& v = value.variant();
  if (std::holds_alternative<std::monostate>(v)) {
    slot.indicator = soci::i_null;
    st.exchange(soci::use(slot.integer, slot.indicator));
  } else if (auto* i = std::get_if<std::int64_t>(&v)) {
    slot.integer = *i;
    st.exchange(soci::use(slot.integer));
  } else if (auto* d = std::get_if<double>(&v)) {
    slot.real = *d;
    st.exchange(soci::use(slot.real));
  } else if (auto* s = std::get_if<std::string>(&v)) {
    slot.text = *s;
    st.exchange(soci::use(slot.text));
  } else if (auto* b = std::get_if<bool>(&v)) {
    slot.flag = *b ? 1 : 0;  // booleans are 0/1 on both databases
    st.exchange(soci::use(slot.flag));
  } else if (auto* blob = std::get_if<db::Blob>(&v)) {
    slot.text = blob->bytes;
    st.exchange(soci::use(slot.text));
  }
}

std::string format_time(const std::tm& t) {
  char buffer[32];
  const auto length = std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &t);
  return std::string(buffer, length);
}

db::Value read_column(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return {};
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_string:
    case soci::dt_xml: return row.get<std::string>(i);
    case soci::dt_blob: return db::Blob{row.get<std::string>(i)};  // not reported by MySQL
    case soci::dt_double: return row.get<double>(i);
    case soci::dt_integer: return static_cast<std::int64_t>(row.get<int>(i));
    case soci::dt_long_long: return static_cast<std::int64_t>(row.get<long long>(i));
    case soci::dt_unsigned_long_long: {
      const auto u = row.get<unsigned long long>(i);
      if (u <= static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(u);
      return std::to_string(u);  // too big for int64: reading it as an integer fails clearly
    }
    case soci::dt_date: return format_time(row.get<std::tm>(i));
  }
  return {};
}

// MySQL counts an UPDATE's changed rows, SQLite its matched rows; callers of conditional
// updates need the matched count everywhere, which MySQL reports in mysql_info().
std::int64_t mysql_rows_matched(MYSQL* native, std::int64_t changed) {
  const char* info = mysql_info(native);
  constexpr std::string_view prefix = "Rows matched: ";
  if (info == nullptr || std::string_view(info).rfind(prefix, 0) != 0) return changed;
  std::string_view rest = std::string_view(info).substr(prefix.size());
  std::int64_t matched = changed;
  std::from_chars(rest.data(), rest.data() + rest.size(), matched);
  return matched;
}

}  // namespace

PooledConnection::PooledConnection(ConnectionPool& pool, PooledSession& slot,
                                   std::shared_ptr<spdlog::logger> log)
    : pool_(pool), slot_(slot), log_(std::move(log)) {}

PooledConnection::~PooledConnection() {
  if (slot_.in_transaction && !slot_.broken) {
    if (auto failure = control("ROLLBACK")) slot_.broken = true;
  }
  pool_.release(&slot_);
}

std::optional<db::Failure> PooledConnection::run(std::string_view sql,
                                                 std::span<const db::Value> params, bool want_rows,
                                                 db::Result& out) noexcept {
  if (slot_.broken)
    return db::Failure{db::ErrorKind::unavailable,
                       "the connection was lost earlier in this session"};
  if (auto failure = execute(sql, params, want_rows, out)) return finish(std::move(*failure), sql);
  return std::nullopt;
}

std::optional<db::Failure> PooledConnection::execute(std::string_view sql,
                                                     std::span<const db::Value> params,
                                                     bool want_rows, db::Result& out) noexcept {
  std::optional<db::Failure> failure;
  slot_.statement_deadline = Clock::now() + pool_.options().statement_timeout;
  try {
    failure =
        pool_.dialect() == db::Dialect::sqlite
            ? run_sqlite_statement(
                  static_cast<soci::sqlite3_session_backend*>(slot_.session->get_backend())->conn_,
                  sql, params, want_rows, out)
            : run_mysql(sql, params, want_rows, out);
  } catch (const std::exception& e) {
    failure = classify_database_error(e);
  }
  slot_.statement_deadline = Clock::time_point::max();
  return failure;
}

db::Failure PooledConnection::finish(db::Failure failure, std::string_view sql) noexcept {
  if (breaks_connection(failure)) slot_.broken = true;
  // SQLite rolls the whole transaction back when a statement in it is interrupted (or hits
  // some errors); carrying on would commit the rest statement by statement. The session is
  // unusable until it goes back to the pool.
  if (slot_.in_transaction && pool_.dialect() == db::Dialect::sqlite &&
      sqlite_api::sqlite3_get_autocommit(
          static_cast<soci::sqlite3_session_backend*>(slot_.session->get_backend())->conn_) != 0) {
    slot_.broken = true;
    failure.message += " (the database rolled the transaction back)";
  }
  // SOCI appends the bound values ("with :p1=..."): they may be secrets and must not reach logs.
  if (auto values = failure.message.find(" with :p1="); values != std::string::npos)
    failure.message.resize(values);
  if (auto text = failure.message.find(" while executing \""); text != std::string::npos)
    failure.message.resize(text);
  if (failure.kind == db::ErrorKind::invalid || failure.kind == db::ErrorKind::constraint)
    failure.message += " [in: " + sql_excerpt(sql) + "]";
  pool_.report(failure);
  return failure;
}

std::optional<db::Failure> PooledConnection::run_mysql(std::string_view sql,
                                                       std::span<const db::Value> params,
                                                       bool want_rows, db::Result& out) {
  const auto rewritten = rewrite_placeholders(sql);
  if (rewritten.placeholders != params.size())
    return db::Failure{db::ErrorKind::invalid,
                       "statement has " + std::to_string(rewritten.placeholders) +
                           " placeholder(s) but " + std::to_string(params.size()) +
                           " parameter(s) were given"};
  soci::session& session = *slot_.session;
  std::deque<Bound> bound(params.size());  // stable addresses
  soci::statement st(session);
  for (std::size_t i = 0; i < params.size(); ++i) bind(st, params[i], bound[i]);
  soci::row row;
  if (want_rows) st.exchange(soci::into(row));
  st.alloc();
  st.prepare(rewritten.text);
  st.define_and_bind();
  bool got = st.execute(true);
  if (want_rows) {
    std::shared_ptr<std::vector<std::string>> columns;
    while (got) {
      if (!columns) {
        columns = std::make_shared<std::vector<std::string>>();
        for (std::size_t i = 0; i < row.size(); ++i)
          columns->push_back(row.get_properties(i).get_name());
      }
      std::vector<db::Value> values;
      values.reserve(row.size());
      for (std::size_t i = 0; i < row.size(); ++i) values.push_back(read_column(row, i));
      out.rows.emplace_back(columns, std::move(values));
      got = st.fetch();
    }
  } else {
    MYSQL* native = static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_;
    out.affected_rows = mysql_rows_matched(native, st.get_affected_rows());
    out.last_insert_id = static_cast<std::int64_t>(mysql_insert_id(native));
  }
  return std::nullopt;
}

std::optional<db::Failure> PooledConnection::control(const char* statement) noexcept {
  db::Result ignored;
  auto failure = execute(statement, {}, false, ignored);
  if (failure && breaks_connection(*failure)) slot_.broken = true;
  return failure;
}

std::optional<db::Failure> PooledConnection::begin() noexcept {
  if (slot_.in_transaction)
    return db::Failure{db::ErrorKind::invalid, "a transaction is already open on this session"};
  if (slot_.broken)
    return db::Failure{db::ErrorKind::unavailable,
                       "the connection was lost earlier in this session"};
  // SQLite: take the write lock up front; a deferred transaction that later needs it can fail
  // with SQLITE_BUSY in a way no busy timeout resolves.
  auto failure =
      control(pool_.dialect() == db::Dialect::sqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION");
  if (!failure) slot_.in_transaction = true;
  return failure;
}

std::optional<db::Failure> PooledConnection::commit() noexcept {
  if (!slot_.in_transaction)
    return db::Failure{db::ErrorKind::invalid, "no transaction is open on this session"};
  auto failure = control("COMMIT");
  if (!failure) {
    slot_.in_transaction = false;
    return std::nullopt;
  }
  if (breaks_connection(*failure))
    failure->message =
        "the connection was lost during COMMIT; the transaction's outcome is "
        "unknown: " +
        failure->message;
  else if (auto rolled_back = control("ROLLBACK"))
    slot_.broken = true;
  slot_.in_transaction = false;
  return failure;
}

std::optional<db::Failure> PooledConnection::rollback() noexcept {
  if (!slot_.in_transaction) return std::nullopt;
  slot_.in_transaction = false;
  auto failure = control("ROLLBACK");
  if (failure) slot_.broken = true;
  return failure;
}

void PooledConnection::report(std::string_view message) noexcept {
  try {
    log_->error("{}", message);
  } catch (...) {
  }
}

}  // namespace lore
