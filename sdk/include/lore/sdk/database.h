// The site's relational database (SQLite or MySQL/MariaDB, from database.url) as plugins see
// it: lease a session, run parameterised statements, group them in transactions, run code
// after a commit.
//
//   auto session = ctx.database().session();
//   auto rows = session.query("SELECT id, name FROM hello_visits WHERE name = ?", {name});
//   for (const auto& row : rows) use(row.get<std::int64_t>("id"));
//
//   ctx.database().transact([&](db::Transaction& tx) {
//     tx.execute("UPDATE hello_visits SET count = count + 1 WHERE name = ?", {name});
//     tx.after_commit([&] { ctx.cache().invalidate("visits"); });
//   });
//
// Parameters are written `?`. The kernel's side of this interface reports failures as values;
// the inline helpers here turn them into db::Error inside the plugin, and a route handler that
// lets one escape answers 503 (unavailable, timeout), 409 (duplicate, conflict) or 500.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "lore/sdk/db_value.h"
#include "lore/sdk/sql_dialect.h"

namespace lore::sdk::db {

// One leased connection, implemented by the kernel. Not thread-safe: use it from one thread at
// a time. Destroying it rolls back an open transaction and returns it to the pool.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const noexcept = 0;
  // Runs one statement; rows are collected only when `want_rows`.
  virtual std::optional<Failure> run(std::string_view sql, std::span<const Value> params,
                                     bool want_rows, Result& out) noexcept = 0;
  virtual std::optional<Failure> begin() noexcept = 0;
  virtual std::optional<Failure> commit() noexcept = 0;
  virtual std::optional<Failure> rollback() noexcept = 0;
  // Logs a problem found on the plugin's side (an after-commit callback that threw).
  virtual void report(std::string_view message) noexcept = 0;
};

class Transaction;

// A leased connection with throwing helpers. Movable, not copyable.
class Session {
 public:
  explicit Session(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

  Dialect dialect() const noexcept { return connection_->dialect(); }

  // A statement that returns rows.
  Result query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return run(sql, std::span<const Value>(params.begin(), params.size()), true);
  }
  Result query(std::string_view sql, const std::vector<Value>& params) {
    return run(sql, params, true);
  }
  // The first row, or nullopt when there is none.
  std::optional<Row> query_one(std::string_view sql, std::initializer_list<Value> params = {}) {
    auto result = query(sql, params);
    if (result.rows.empty()) return std::nullopt;
    return std::move(result.rows.front());
  }
  // A statement that changes rows; returns how many it matched (an UPDATE counts the rows its
  // WHERE clause selected, on every database, even when the new values equal the old).
  std::int64_t execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return run(sql, std::span<const Value>(params.begin(), params.size()), false).affected_rows;
  }
  std::int64_t execute(std::string_view sql, const std::vector<Value>& params) {
    return run(sql, params, false).affected_rows;
  }
  // An INSERT into a table with an auto-increment id; returns the new id.
  std::int64_t insert(std::string_view sql, std::initializer_list<Value> params = {}) {
    return run(sql, std::span<const Value>(params.begin(), params.size()), false).last_insert_id;
  }
  // An INSERT that may hit a unique key already taken: true if it inserted, false if the key
  // was taken. Only this statement is undone; an open transaction stays usable. Other errors
  // throw. Not for insert-else-update under concurrency: on InnoDB the failed INSERT keeps a
  // shared lock on the row and two such writers deadlock on the UPDATE; use upsert_sql_with.
  bool try_insert(std::string_view sql, std::initializer_list<Value> params = {}) {
    try {
      run(sql, std::span<const Value>(params.begin(), params.size()), false);
      return true;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::duplicate) return false;
      throw;
    }
  }

  // Starts a transaction; it rolls back when the Transaction is destroyed uncommitted.
  Transaction begin();

  Connection& connection() noexcept { return *connection_; }

 private:
  Result run(std::string_view sql, std::span<const Value> params, bool want_rows) {
    Result out;
    if (auto failure = connection_->run(sql, params, want_rows, out)) throw Error(*failure);
    return out;
  }

  std::unique_ptr<Connection> connection_;
};

// RAII transaction on a session. Callbacks added with after_commit run once the commit has
// succeeded (never after a rollback): that is where cache invalidation and hooks belong, so a
// reader can never cache data a rollback took back.
class Transaction {
 public:
  explicit Transaction(Session& session) : session_(&session) {
    if (auto failure = session.connection().begin()) throw Error(*failure);
  }
  Transaction(Transaction&& other) noexcept
      : session_(std::exchange(other.session_, nullptr)),
        after_commit_(std::move(other.after_commit_)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction() {
    if (session_) (void)session_->connection().rollback();
  }

  Dialect dialect() const noexcept { return session_->dialect(); }
  Result query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return active().query(sql, params);
  }
  Result query(std::string_view sql, const std::vector<Value>& params) {
    return active().query(sql, params);
  }
  std::optional<Row> query_one(std::string_view sql, std::initializer_list<Value> params = {}) {
    return active().query_one(sql, params);
  }
  std::int64_t execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return active().execute(sql, params);
  }
  std::int64_t execute(std::string_view sql, const std::vector<Value>& params) {
    return active().execute(sql, params);
  }
  std::int64_t insert(std::string_view sql, std::initializer_list<Value> params = {}) {
    return active().insert(sql, params);
  }
  bool try_insert(std::string_view sql, std::initializer_list<Value> params = {}) {
    return active().try_insert(sql, params);
  }

  void after_commit(std::function<void()> callback) {
    after_commit_.push_back(std::move(callback));
  }

  // Commits, then runs the after-commit callbacks in order. A callback that throws is reported
  // and the rest still run: the data is committed, so the caller must not see a failure (and
  // must not retry).
  void commit() {
    Session& session = active();
    session_ = nullptr;
    if (auto failure = session.connection().commit()) throw Error(*failure);
    for (auto& callback : after_commit_) {
      try {
        callback();
      } catch (const std::exception& e) {
        session.connection().report(std::string("after-commit callback threw: ") + e.what());
      } catch (...) {
        session.connection().report("after-commit callback threw an unknown exception");
      }
    }
    after_commit_.clear();
  }
  void rollback() {
    Session& session = active();
    session_ = nullptr;
    after_commit_.clear();
    if (auto failure = session.connection().rollback()) throw Error(*failure);
  }

 private:
  Session& active() {
    if (!session_) throw Error(ErrorKind::invalid, "the transaction has already ended");
    return *session_;
  }

  Session* session_;
  std::vector<std::function<void()>> after_commit_;
};

inline Transaction Session::begin() { return Transaction(*this); }

// The database, shared by all threads.
class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const noexcept = 0;
  // The prefix every table of this plugin carries ("hello_" for plugin hello, "auth_password_"
  // for auth-password); migrations refuse tables without it.
  virtual std::string_view table_prefix() const noexcept = 0;
  // A healthy connection within database.lease_timeout_ms, or a failure (unavailable).
  virtual std::unique_ptr<Connection> lease(Failure& failure) noexcept = 0;

  // Throws Error(unavailable) when no connection can be had in time.
  Session session() {
    Failure failure;
    auto connection = lease(failure);
    if (!connection) throw Error(std::move(failure));
    return Session(std::move(connection));
  }

  // Runs `work(Transaction&)` in a transaction on a fresh session and commits; runs it again
  // (up to `attempts` times in all, after a short random pause) when the database reports a
  // deadlock or lock wait, so `work` must not have effects outside the transaction other than
  // after_commit callbacks.
  template <class Work>
  auto transact(Work&& work, int attempts = 4) -> std::invoke_result_t<Work&, Transaction&> {
    using R = std::invoke_result_t<Work&, Transaction&>;
    for (int attempt = 1;; ++attempt) {
      try {
        auto s = session();
        auto tx = s.begin();
        if constexpr (std::is_void_v<R>) {
          work(tx);
          tx.commit();
          return;
        } else {
          R result = work(tx);
          tx.commit();
          return result;
        }
      } catch (const Error& e) {
        if (!e.retryable() || attempt >= attempts) throw;
      }
      // Two transactions that deadlocked would meet again if both retried at once.
      thread_local std::minstd_rand jitter(std::random_device{}());
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 2000 * attempt)(jitter)));
    }
  }
};

}  // namespace lore::sdk::db
