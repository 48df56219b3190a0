// One leased connection as the SDK sees it: runs statements through SOCI with the values
// bound, reads rows into SDK values, and gives the session back to the pool when destroyed
// (rolling back a transaction left open).
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "lore/sdk/database.h"
#include "storage/connection_pool.h"

namespace lore {

class PooledConnection final : public sdk::db::Connection {
 public:
  PooledConnection(ConnectionPool& pool, PooledSession& slot, std::shared_ptr<spdlog::logger> log);
  ~PooledConnection() override;

  sdk::db::Dialect dialect() const noexcept override { return pool_.dialect(); }
  std::optional<sdk::db::Failure> run(std::string_view sql, std::span<const sdk::db::Value> params,
                                      bool want_rows, sdk::db::Result& out) noexcept override;
  std::optional<sdk::db::Failure> begin() noexcept override;
  std::optional<sdk::db::Failure> commit() noexcept override;
  std::optional<sdk::db::Failure> rollback() noexcept override;
  void report(std::string_view message) noexcept override;

 private:
  // One statement through the dialect's path (SQLite's API or SOCI), failures as values.
  std::optional<sdk::db::Failure> execute(std::string_view sql,
                                          std::span<const sdk::db::Value> params, bool want_rows,
                                          sdk::db::Result& out) noexcept;
  // BEGIN, COMMIT, ROLLBACK.
  std::optional<sdk::db::Failure> control(const char* statement) noexcept;
  std::optional<sdk::db::Failure> run_mysql(std::string_view sql,
                                            std::span<const sdk::db::Value> params, bool want_rows,
                                            sdk::db::Result& out);
  // Marks the connection, cleans the message, reports it; returns it.
  sdk::db::Failure finish(sdk::db::Failure failure, std::string_view sql) noexcept;

  ConnectionPool& pool_;
  PooledSession& slot_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace lore
