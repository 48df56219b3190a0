// The cache plugins and the kernel share: opaque string values under (namespace, key), with a
// TTL, per-namespace invalidation and single-flight computation of missing values. Backed by an
// in-process LRU (the embedded default) or Redis; a cache failure is a miss, never an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lore::sdk {

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t computes = 0;  // calls of a compute function (single flight: one per cold key)
  std::uint64_t errors = 0;    // backend failures (Redis unreachable or failing)
  std::uint64_t evictions = 0;
};

class Cache {
 public:
  virtual ~Cache() = default;

  virtual std::optional<std::string> get(std::string_view ns, std::string_view key) noexcept = 0;
  virtual void set(std::string_view ns, std::string_view key, std::string value,
                   std::chrono::milliseconds ttl) noexcept = 0;
  virtual void erase(std::string_view ns, std::string_view key) noexcept = 0;
  // Adds `delta` to the counter under (ns, key) and returns the new value, atomically across
  // every process sharing the cache. A missing counter starts at 0 and expires `ttl` after it
  // was created (later increments do not extend it): a fixed window, for rate limits. nullopt
  // when the backend failed, so callers decide whether to fail open.
  virtual std::optional<std::int64_t> increment(std::string_view ns, std::string_view key,
                                                std::int64_t delta,
                                                std::chrono::milliseconds ttl) noexcept = 0;
  // Makes every key of the namespace a miss at once (a version bump; nothing is scanned).
  virtual void invalidate(std::string_view ns) noexcept = 0;

  // The cached value, or the result of `compute()` (returning std::optional<std::string>) stored
  // for `ttl`. However many callers ask for the same cold key at once, `compute` runs once and
  // they all get its result. A compute that returns nullopt caches nothing and gives nullopt to
  // every waiter; one that throws caches nothing either, its exception is rethrown to the
  // caller that ran it (here, on the plugin's side of the boundary) and the waiters get nullopt.
  template <class Compute>
  std::optional<std::string> get_or_compute(std::string_view ns, std::string_view key,
                                            std::chrono::milliseconds ttl, Compute&& compute) {
    std::exception_ptr failure;
    auto result = get_or_compute_erased(
        ns, key, ttl, [&compute, &failure]() noexcept -> std::optional<std::string> {
          try {
            return compute();
          } catch (...) {
            failure = std::current_exception();
            return std::nullopt;
          }
        });
    if (failure) std::rethrow_exception(failure);
    return result;
  }

  // What get_or_compute calls; `compute` never throws.
  virtual std::optional<std::string> get_or_compute_erased(
      std::string_view ns, std::string_view key, std::chrono::milliseconds ttl,
      const std::function<std::optional<std::string>()>& compute) noexcept = 0;

  virtual CacheStats stats() const noexcept = 0;
};

}  // namespace lore::sdk
