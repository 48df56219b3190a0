#include "storage/connection_pool.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cmath>
#include <filesystem>

#include "storage/database_failure.h"

namespace lore {

namespace {

using Clock = std::chrono::steady_clock;
using sdk::db::ErrorKind;
using sdk::db::Failure;

// While the server is unreachable, a lease fails at once for this long after a failed connect
// instead of paying a connect timeout per request: fast 503s during an outage, and a retry at
// least four times a second so service resumes promptly.
constexpr auto kReconnectInterval = std::chrono::milliseconds(250);

// SOCI's connect-string syntax: key=value pairs, values quoted so they may hold spaces. SOCI
// 4.0.3's MySQL backend takes single quotes and its SQLite backend double quotes, neither with
// an escape, so parse_database_url refuses values holding the quote.
std::string quoted(const std::string& value, char quote) { return quote + value + quote; }

long long whole_seconds_at_least_one(std::chrono::milliseconds ms) {
  return std::max<long long>(1, static_cast<long long>(std::ceil(ms.count() / 1000.0)));
}

std::string connect_string(const DatabaseAddress& a, const DatabaseOptions& o) {
  if (a.dialect == sdk::db::Dialect::sqlite) return "db=" + quoted(a.path, '"');
  // read/write timeouts are a backstop for a server that stops answering mid-statement; the
  // statement timeout itself is enforced by the server (max_statement_time).
  const auto io_timeout = whole_seconds_at_least_one(o.statement_timeout) + 5;
  const char q = '\'';
  std::string s = "db=" + quoted(a.database, q) + " user=" + quoted(a.user, q) +
                  " password=" + quoted(a.password, q) + " charset=utf8mb4" + " connect_timeout=" +
                  std::to_string(whole_seconds_at_least_one(o.connect_timeout)) +
                  " read_timeout=" + std::to_string(io_timeout) +
                  " write_timeout=" + std::to_string(io_timeout);
  if (!a.socket.empty())
    s += " unix_socket=" + quoted(a.socket, q);
  else
    s += " host=" + quoted(a.host, q) + " port=" + std::to_string(a.port);
  return s;
}

// SQLite has no server-side statement timeout: the progress handler interrupts a statement
// past its deadline (SQLITE_INTERRUPT, reported as ErrorKind::timeout).
int interrupt_when_late(void* slot) {
  return Clock::now() > static_cast<PooledSession*>(slot)->statement_deadline ? 1 : 0;
}

}  // namespace

ConnectionPool::ConnectionPool(DatabaseAddress address, DatabaseOptions options,
                               std::shared_ptr<spdlog::logger> log)
    : address_(std::move(address)), options_(options), log_(std::move(log)) {
  // Every connection to :memory: opens a database of its own, so one connection is the db.
  if (address_.in_memory() || options_.pool_size == 0) options_.pool_size = 1;
  connect_string_ = connect_string(address_, options_);
  if (address_.dialect == sdk::db::Dialect::sqlite && !address_.in_memory()) {
    const auto parent = std::filesystem::path(address_.path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  slots_.reserve(options_.pool_size);
}

ConnectionPool::~ConnectionPool() {
  std::lock_guard lock(mutex_);
  if (in_use_ > 0) log_->error("database pool destroyed with {} connection(s) leased", in_use_);
}

PooledSession* ConnectionPool::acquire(Failure& failure) {
  const auto deadline = Clock::now() + options_.lease_timeout;
  PooledSession* slot = nullptr;
  {
    std::unique_lock lock(mutex_);
    while (slot == nullptr) {
      if (!idle_.empty()) {
        slot = idle_.back();
        idle_.pop_back();
      } else if (slots_.size() < options_.pool_size) {
        slots_.push_back(std::make_unique<PooledSession>());
        slot = slots_.back().get();
      } else if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
        ++lease_timeouts_;
        failure = {ErrorKind::unavailable,
                   "no database connection free within " +
                       std::to_string(options_.lease_timeout.count()) + " ms (all " +
                       std::to_string(options_.pool_size) +
                       " in use; raise database.pool_size or find the slow statements)"};
        lock.unlock();
        report(failure);
        return nullptr;
      }
    }
    ++in_use_;
    ++leases_;
  }
  if (auto problem = make_live(*slot)) {
    failure = std::move(*problem);
    release(slot);
    report(failure);
    return nullptr;
  }
  return slot;
}

void ConnectionPool::report(const Failure& failure) noexcept {
  if (failure.kind != ErrorKind::unavailable && failure.kind != ErrorKind::timeout &&
      failure.kind != ErrorKind::conflict)
    return;
  try {
    std::lock_guard lock(report_mutex_);
    const auto now = Clock::now();
    if (now - last_report_ < std::chrono::seconds(1)) {
      ++unreported_;
      return;
    }
    last_report_ = now;
    if (unreported_ > 0)
      log_->warn("database {}: {} ({} more since the last report)", to_string(failure.kind),
                 failure.message, unreported_);
    else
      log_->warn("database {}: {}", to_string(failure.kind), failure.message);
    unreported_ = 0;
  } catch (...) {
  }
}

std::optional<std::string> ConnectionPool::outage() const {
  std::lock_guard lock(outage_mutex_);
  if (last_connect_error_.empty()) return std::nullopt;
  return last_connect_error_;
}

void ConnectionPool::release(PooledSession* slot) {
  // An in-memory database lives in its one connection: reopening it would silently start empty.
  if (slot->broken && slot->session && !address_.in_memory()) {
    // Closed now rather than at the next lease, so a dead server does not keep sockets.
    slot->session.reset();
    --open_;
  }
  slot->broken = false;
  slot->in_transaction = false;
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(slot);
    --in_use_;
  }
  returned_.notify_one();
}

std::optional<Failure> ConnectionPool::make_live(PooledSession& slot) {
  if (slot.session) {
    bool alive = false;
    try {
      alive = slot.session->is_connected();  // mysql_ping: one round trip
    } catch (const std::exception&) {
      alive = false;
    }
    if (alive) return std::nullopt;
    ++reconnects_;
    slot.session.reset();
    --open_;
  }
  return open(slot);
}

std::optional<Failure> ConnectionPool::open(PooledSession& slot) {
  {
    // During an outage one caller at a time tries to connect; the others fail at once rather
    // than each waiting out a connect timeout (a host that drops packets never refuses).
    std::lock_guard lock(outage_mutex_);
    if (!last_connect_error_.empty() &&
        (connecting_ || Clock::now() - last_connect_failure_ < kReconnectInterval))
      return Failure{ErrorKind::unavailable, "database unreachable: " + last_connect_error_};
    connecting_ = true;
  }
  struct Connecting {
    ConnectionPool& pool;
    ~Connecting() {
      std::lock_guard lock(pool.outage_mutex_);
      pool.connecting_ = false;
    }
  } connecting{*this};
  try {
    auto session = std::make_unique<soci::session>(address_.dialect == sdk::db::Dialect::sqlite
                                                       ? *soci::factory_sqlite3()
                                                       : *soci::factory_mysql(),
                                                   connect_string_);
    slot.session = std::move(session);
    ++open_;
    prepare_session(slot);
  } catch (const std::exception& e) {
    if (slot.session) {
      slot.session.reset();
      --open_;
    }
    ++connect_failures_;
    auto failure = classify_database_error(e);
    failure.kind = ErrorKind::unavailable;
    std::lock_guard lock(outage_mutex_);
    if (last_connect_error_.empty())
      log_->error("cannot connect to {}: {}", address_.redacted(), failure.message);
    last_connect_failure_ = Clock::now();
    last_connect_error_ = failure.message;
    return failure;
  }
  std::lock_guard lock(outage_mutex_);
  if (!last_connect_error_.empty()) {
    log_->warn("database {} reachable again", address_.redacted());
    last_connect_error_.clear();
  }
  return std::nullopt;
}

void ConnectionPool::prepare_session(PooledSession& slot) {
  soci::session& sql = *slot.session;
  if (address_.dialect == sdk::db::Dialect::sqlite) {
    auto* native = static_cast<soci::sqlite3_session_backend*>(sql.get_backend())->conn_;
    sqlite_api::sqlite3_busy_timeout(native, static_cast<int>(options_.lease_timeout.count()));
    sqlite_api::sqlite3_progress_handler(native, 1000, &interrupt_when_late, &slot);
    sql << "PRAGMA foreign_keys = ON";
    if (!address_.in_memory()) {
      // WAL lets readers run beside the writer; FULL syncs every commit, because a committed
      // payment must survive a power cut.
      {
        std::lock_guard setup(sqlite_setup_mutex_);
        if (!sqlite_wal_ready_) {
          sql << "PRAGMA journal_mode = WAL";
          sqlite_wal_ready_ = true;
        }
      }
      sql << "PRAGMA synchronous = FULL";
    }
    std::lock_guard lock(outage_mutex_);
    if (server_version_.empty())
      server_version_ = std::string("SQLite ") + sqlite_api::sqlite3_libversion();
    return;
  }
  std::string version;
  sql << "SELECT VERSION()", soci::into(version);
  const bool mariadb = version.find("MariaDB") != std::string::npos;
  // Strict mode: a value that does not fit is an error, never silently truncated.
  sql << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
         "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";
  sql << "SET SESSION time_zone = '+00:00'";
  // READ COMMITTED, not InnoDB's REPEATABLE READ: a transaction that waits for a row lock must
  // then read what committed while it waited (REPEATABLE READ would keep showing its first
  // snapshot to plain SELECTs: an order's refunds or an earlier event missed after the wait),
  // and no gap locks, which deadlocked concurrent first inserts of different keys. Every
  // decision that must not race takes its row lock (FOR UPDATE) or is a conditional UPDATE.
  sql << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
  if (mariadb)
    sql << "SET SESSION max_statement_time = " +
               std::to_string(options_.statement_timeout.count() / 1000.0);
  else
    sql << "SET SESSION max_execution_time = " + std::to_string(options_.statement_timeout.count());
  std::lock_guard lock(outage_mutex_);
  if (server_version_.empty())
    server_version_ = (mariadb ? "MariaDB " : "MySQL ") + version.substr(0, version.find('-'));
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  return PoolStats{
      options_.pool_size,      open_.load(), in_use_, leases_, lease_timeouts_, reconnects_.load(),
      connect_failures_.load()};
}

std::string ConnectionPool::server_version() const {
  std::lock_guard lock(outage_mutex_);
  return server_version_;
}

}  // namespace lore
