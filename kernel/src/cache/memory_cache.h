// The in-process cache: a bounded LRU with TTLs (jittered so keys set together do not expire
// together), namespace versions for invalidation, and single flight for cold keys.
#pragma once

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>

#include "cache/single_flight.h"
#include "lore/sdk/cache.h"
#include "lore/sdk/clock.h"

namespace lore {

class MemoryCache final : public sdk::Cache {
 public:
  struct Options {
    std::size_t max_entries = 100000;
    double ttl_jitter = 0.1;  // each TTL is shortened by up to this fraction, at random
  };

  MemoryCache(const sdk::Clock& clock, Options options);

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

  std::size_t size() const;

 private:
  struct Entry {
    std::string value;
    std::chrono::steady_clock::time_point expires;
    std::list<std::string>::iterator recency;
  };

  // "<ns>\x1f<version>\x1f<key>": a namespace bump makes every old key unreachable.
  std::string full_key(std::string_view ns, std::string_view key);
  std::optional<std::string> lookup_locked(const std::string& full);
  void store_locked(const std::string& full, std::string value, std::chrono::milliseconds ttl);
  void remove_locked(const std::string& full);

  const sdk::Clock& clock_;
  Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // most recent first
  std::map<std::string, std::uint64_t, std::less<>> versions_;
  SingleFlight flights_;
  std::mt19937_64 random_{std::random_device{}()};
  sdk::CacheStats stats_;
};

}  // namespace lore
