#include "storage/pooled_database.h"

#include "storage/pooled_connection.h"

namespace lore {

std::string table_prefix_for(const std::string& component) {
  std::string prefix;
  for (char c : component) prefix += (c == '-' || c == '.') ? '_' : c;
  return prefix + "_";
}

PooledDatabase::PooledDatabase(ConnectionPool& pool, std::string table_prefix,
                               std::shared_ptr<spdlog::logger> log)
    : pool_(pool), prefix_(std::move(table_prefix)), log_(std::move(log)) {}

std::unique_ptr<sdk::db::Connection> PooledDatabase::lease(sdk::db::Failure& failure) noexcept {
  PooledSession* slot = nullptr;
  try {
    slot = pool_.acquire(failure);
    if (slot == nullptr) return nullptr;
    return std::make_unique<PooledConnection>(pool_, *slot, log_);
  } catch (const std::exception& e) {
    if (slot != nullptr) pool_.release(slot);
    failure = {sdk::db::ErrorKind::unavailable, e.what()};
    return nullptr;
  }
}

}  // namespace lore
