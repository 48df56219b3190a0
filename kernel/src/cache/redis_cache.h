// The Redis cache (hiredis): a pool of connections with connect and command timeouts, each
// dropped after any error (hiredis contexts cannot be reused after one), and a circuit breaker,
// so that Redis being down makes requests slower by one timeout at most, never failing.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cache/single_flight.h"
#include "lore/sdk/cache.h"
#include "lore/sdk/clock.h"

namespace lore {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  int database = 0;
};

// "redis://host:port/db" (port and db optional); nullopt with `error` set when malformed.
std::optional<RedisAddress> parse_redis_url(const std::string& url, std::string& error);

class RedisCache final : public sdk::Cache {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{200};
    std::chrono::milliseconds command_timeout{200};
    std::size_t max_idle_connections = 16;
    int failures_to_open = 3;                   // consecutive failures that open the breaker
    std::chrono::milliseconds cool_down{2000};  // how long the breaker stays open
    std::string key_prefix = "lore:";
  };

  RedisCache(RedisAddress address, const sdk::Clock& clock, Options options);
  ~RedisCache() override;

  std::optional<std::string> get(std::string_view ns, std::string_view key) noexcept override;
  void set(std::string_view ns, std::string_view key, std::string value,
           std::chrono::milliseconds ttl) noexcept override;
  void erase(std::string_view ns, std::string_view key) noexcept override;
  void invalidate(std::string_view ns) noexcept override;
  std::optional<std::int64_t> increment(std::string_view ns, std::string_view key,
                                        std::int64_t delta,
                                        std::chrono::milliseconds ttl) noexcept override;
  std::optional<std::string> get_or_compute_erased(
      std::string_view ns, std::string_view key, std::chrono::milliseconds ttl,
      const std::function<std::optional<std::string>()>& compute) noexcept override;
  sdk::CacheStats stats() const noexcept override;

  bool breaker_open() const noexcept;

 private:
  using Context = std::unique_ptr<redisContext, decltype(&redisFree)>;
  using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

  // Runs one command on a pooled connection; null when the breaker is open or the command
  // failed (the connection is then discarded and the failure counted).
  Reply command(const std::vector<std::string>& argv) noexcept;
  Context lease();
  void give_back(Context context);
  void record(bool ok) noexcept;

  RedisAddress address_;
  const sdk::Clock& clock_;
  Options options_;
  std::mutex pool_mutex_;
  std::vector<Context> idle_;
  std::atomic<int> consecutive_failures_{0};
  std::atomic<std::int64_t> open_until_ns_{0};  // monotonic; 0 when closed
  SingleFlight flights_;
  mutable std::mutex stats_mutex_;
  sdk::CacheStats stats_;
};

}  // namespace lore
