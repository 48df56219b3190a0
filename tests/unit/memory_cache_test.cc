#include "cache/memory_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/clocks.h"

namespace lore {
namespace {

using namespace std::chrono_literals;

MemoryCache::Options exact(std::size_t max_entries = 100) {
  return MemoryCache::Options{max_entries, 0.0};  // no jitter: expiry times are exact
}

TEST(MemoryCache, SetGetEraseAndCounters) {
  ManualClock clock;
  MemoryCache cache(clock, exact());
  EXPECT_EQ(cache.get("courses", "1"), std::nullopt);
  cache.set("courses", "1", "algebra", 60s);
  EXPECT_EQ(cache.get("courses", "1"), "algebra");
  EXPECT_EQ(cache.get("users", "1"), std::nullopt);  // namespaces are separate
  cache.erase("courses", "1");
  EXPECT_EQ(cache.get("courses", "1"), std::nullopt);
  const auto stats = cache.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 3u);
}

TEST(MemoryCache, EntriesExpireAfterTheirTtl) {
  ManualClock clock;
  MemoryCache cache(clock, exact());
  cache.set("ns", "k", "v", 10s);
  clock.advance(9s);
  EXPECT_EQ(cache.get("ns", "k"), "v");
  clock.advance(2s);
  EXPECT_EQ(cache.get("ns", "k"), std::nullopt);
  EXPECT_EQ(cache.size(), 0u);
  cache.set("ns", "zero", "v", 0ms);  // a TTL of zero stores nothing
  EXPECT_EQ(cache.get("ns", "zero"), std::nullopt);
}

TEST(MemoryCache, CountersAreFixedWindows) {
  ManualClock clock;
  MemoryCache cache(clock, MemoryCache::Options{100, 0.5});  // jitter never shortens a window
  EXPECT_EQ(cache.increment("limits", "ip", 1, 10s), 1);
  clock.advance(6s);
  EXPECT_EQ(cache.increment("limits", "ip", 1, 10s), 2);  // does not extend the window
  EXPECT_EQ(cache.increment("limits", "ip", 5, 10s), 7);
  clock.advance(3s);
  EXPECT_EQ(cache.get("limits", "ip"), "7");
  clock.advance(1s);  // 10 s after the first increment: a new window
  EXPECT_EQ(cache.increment("limits", "ip", 1, 10s), 1);
  cache.set("limits", "text", "not a number", 10s);
  EXPECT_EQ(cache.increment("limits", "text", 1, 10s), std::nullopt);
  EXPECT_EQ(cache.stats().errors, 1u);
}

TEST(MemoryCache, CountersAreAtomicAcrossThreads) {
  ManualClock clock;
  MemoryCache cache(clock, exact());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) cache.increment("limits", "k", 1, 60s);
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(cache.get("limits", "k"), "8000");
}

TEST(MemoryCache, JitterOnlyShortensTtls) {
  ManualClock clock;
  MemoryCache cache(clock, MemoryCache::Options{1000, 0.5});
  for (int i = 0; i < 100; ++i) cache.set("ns", std::to_string(i), "v", 100s);
  clock.advance(49s);
  int alive = 0;
  for (int i = 0; i < 100; ++i) alive += cache.get("ns", std::to_string(i)).has_value();
  EXPECT_EQ(alive, 100);  // nothing expires before (1 - jitter) * ttl
  clock.advance(51s);
  alive = 0;
  for (int i = 0; i < 100; ++i) alive += cache.get("ns", std::to_string(i)).has_value();
  EXPECT_EQ(alive, 0);  // and everything by the full ttl
}

TEST(MemoryCache, EvictsTheLeastRecentlyUsed) {
  ManualClock clock;
  MemoryCache cache(clock, exact(2));
  cache.set("ns", "a", "1", 60s);
  cache.set("ns", "b", "2", 60s);
  EXPECT_EQ(cache.get("ns", "a"), "1");  // a is now more recent than b
  cache.set("ns", "c", "3", 60s);
  EXPECT_EQ(cache.get("ns", "b"), std::nullopt);
  EXPECT_EQ(cache.get("ns", "a"), "1");
  EXPECT_EQ(cache.get("ns", "c"), "3");
  EXPECT_EQ(cache.stats().evictions, 1u);
}

TEST(MemoryCache, InvalidatingANamespaceMissesAllItsKeysOnly) {
  ManualClock clock;
  MemoryCache cache(clock, exact());
  cache.set("catalog", "1", "a", 60s);
  cache.set("catalog", "2", "b", 60s);
  cache.set("users", "1", "u", 60s);
  cache.invalidate("catalog");
  EXPECT_EQ(cache.get("catalog", "1"), std::nullopt);
  EXPECT_EQ(cache.get("catalog", "2"), std::nullopt);
  EXPECT_EQ(cache.get("users", "1"), "u");
  cache.set("catalog", "1", "new", 60s);
  EXPECT_EQ(cache.get("catalog", "1"), "new");
}

TEST(MemoryCache, ColdKeyIsComputedOnceHoweverManyAskAtOnce) {
  SystemClock clock;
  MemoryCache cache(clock, exact());
  std::atomic<int> computed{0};
  std::vector<std::optional<std::string>> results(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = cache.get_or_compute("ns", "hot", 60s, [&]() -> std::optional<std::string> {
        ++computed;
        std::this_thread::sleep_for(100ms);  // long enough for every thread to arrive
        return "value";
      });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(computed.load(), 1);
  for (const auto& r : results) EXPECT_EQ(r, "value");
  EXPECT_EQ(cache.stats().computes, 1u);
  EXPECT_EQ(cache.get("ns", "hot"), "value");
}

TEST(MemoryCache, FailedComputationsCacheNothing) {
  ManualClock clock;
  MemoryCache cache(clock, exact());
  int calls = 0;
  auto nothing = [&]() -> std::optional<std::string> {
    ++calls;
    return std::nullopt;
  };
  EXPECT_EQ(cache.get_or_compute("ns", "k", 60s, nothing), std::nullopt);
  auto throws = [&]() -> std::optional<std::string> {
    ++calls;
    throw std::runtime_error("database down");
  };
  // The exception reaches the caller whose compute threw; nothing is cached.
  EXPECT_THROW(cache.get_or_compute("ns", "k", 60s, throws), std::runtime_error);
  EXPECT_EQ(cache.get_or_compute("ns", "k", 60s, [] { return std::optional<std::string>("ok"); }),
            "ok");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cache.get("ns", "k"), "ok");
}

}  // namespace
}  // namespace lore
