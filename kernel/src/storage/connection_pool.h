// A bounded pool of SOCI sessions that never hands out a dead one: every lease checks the
// connection (mysql_ping on MySQL) and reopens it when needed, a lease waits at most
// lease_timeout, and while the server is unreachable leases fail fast instead of each paying
// a connect timeout. soci::connection_pool does none of that, hence this class.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lore/sdk/db_value.h"
#include "storage/database_url.h"

namespace soci {
class session;
}

namespace lore {

struct DatabaseOptions {
  std::size_t pool_size = 8;
  std::chrono::milliseconds lease_timeout{2000};
  std::chrono::milliseconds statement_timeout{10000};
  std::chrono::milliseconds connect_timeout{2000};
};

struct PoolStats {
  std::size_t size = 0;    // configured maximum
  std::size_t open = 0;    // connections currently open
  std::size_t in_use = 0;  // leased right now
  std::uint64_t leases = 0;
  std::uint64_t lease_timeouts = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t connect_failures = 0;
};

// One pooled connection. Only the thread holding the lease touches it.
struct PooledSession {
  std::unique_ptr<soci::session> session;
  bool broken = false;
  bool in_transaction = false;
  // Read by SQLite's progress handler to interrupt a statement that runs too long.
  std::chrono::steady_clock::time_point statement_deadline =
      std::chrono::steady_clock::time_point::max();
};

class ConnectionPool {
 public:
  ConnectionPool(DatabaseAddress address, DatabaseOptions options,
                 std::shared_ptr<spdlog::logger> log);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A live session, or nullptr with `failure` (kind unavailable) when none is free within the
  // lease timeout or the server cannot be reached.
  PooledSession* acquire(sdk::db::Failure& failure);
  void release(PooledSession* session);

  // Logs an outage-type failure (unavailable, timeout, conflict) seen by a caller, at most once a
  // second, with how many were not logged in between: the cause behind a 503 is in the log
  // without flooding it during an outage.
  void report(const sdk::db::Failure& failure) noexcept;
  // Whether the last attempt to connect failed, and why: for /readyz, without a round trip.
  std::optional<std::string> outage() const;

  const DatabaseAddress& address() const noexcept { return address_; }
  const DatabaseOptions& options() const noexcept { return options_; }
  sdk::db::Dialect dialect() const noexcept { return address_.dialect; }
  PoolStats stats() const;
  // "MariaDB 10.11.6" or "SQLite 3.40.1", once a connection has been opened.
  std::string server_version() const;

 private:
  std::optional<sdk::db::Failure> make_live(PooledSession& slot);
  std::optional<sdk::db::Failure> open(PooledSession& slot);
  void prepare_session(PooledSession& slot);

  const DatabaseAddress address_;
  DatabaseOptions options_;  // pool_size adjusted once in the constructor
  std::shared_ptr<spdlog::logger> log_;
  std::string connect_string_;

  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PooledSession>> slots_;  // grows up to pool_size
  std::vector<PooledSession*> idle_;
  std::size_t in_use_ = 0;
  std::uint64_t leases_ = 0;
  std::uint64_t lease_timeouts_ = 0;
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> connect_failures_{0};
  std::atomic<std::size_t> open_{0};

  // While the server is unreachable: when the last connect failed and why.
  std::mutex report_mutex_;
  std::chrono::steady_clock::time_point last_report_{};
  std::uint64_t unreported_ = 0;

  mutable std::mutex outage_mutex_;
  std::chrono::steady_clock::time_point last_connect_failure_{};
  std::string last_connect_error_;
  bool connecting_ = false;  // a connect attempt is under way
  std::string server_version_;

  // Switching a new SQLite file to WAL needs the file to itself for a moment: done once, by one
  // connection, while the others wait (the journal mode then persists in the file).
  std::mutex sqlite_setup_mutex_;
  bool sqlite_wal_ready_ = false;
};

}  // namespace lore
