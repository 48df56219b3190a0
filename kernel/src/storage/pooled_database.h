// The SDK's database interface over the connection pool: the kernel holds one (prefix
// "lore_"), every plugin context another with the plugin's own table prefix.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "lore/sdk/database.h"
#include "storage/connection_pool.h"

namespace lore {

// "auth-password" → "auth_password_": what a component's table names must start with.
std::string table_prefix_for(const std::string& component);

class PooledDatabase final : public sdk::db::Database {
 public:
  PooledDatabase(ConnectionPool& pool, std::string table_prefix,
                 std::shared_ptr<spdlog::logger> log);

  sdk::db::Dialect dialect() const noexcept override { return pool_.dialect(); }
  std::string_view table_prefix() const noexcept override { return prefix_; }
  std::unique_ptr<sdk::db::Connection> lease(sdk::db::Failure& failure) noexcept override;

 private:
  ConnectionPool& pool_;
  std::string prefix_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace lore
