// The Redis cache against the real Redis server that `make test` starts.
#include "cache/redis_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "config/kernel_config.h"
#include "config/yaml_checker.h"
#include "core/clocks.h"
#include "core/kernel.h"
#include "support/test_config.h"

namespace lore {
namespace {

using namespace std::chrono_literals;

std::optional<RedisAddress> test_redis() {
  const char* url = std::getenv("LORE_TEST_REDIS_URL");
  if (url == nullptr) return std::nullopt;
  std::string error;
  return parse_redis_url(url, error);
}

std::string unique_namespace() {
  return "test" + std::to_string(std::random_device{}()) + std::to_string(::getpid());
}

#define REQUIRE_REDIS(address) \
  auto address = test_redis(); \
  if (!address) GTEST_SKIP() << "LORE_TEST_REDIS_URL is not set (make test sets it)";

TEST(RedisUrl, ParsesAndRejects) {
  std::string error;
  auto a = parse_redis_url("redis://cache.internal:6380/3", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "cache.internal");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->database, 3);
  auto b = parse_redis_url("redis://localhost", error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->database, 0);
  EXPECT_FALSE(parse_redis_url("http://x", error));
  EXPECT_EQ(error, "expected redis://host[:port][/db], got 'http://x'");
  EXPECT_FALSE(parse_redis_url("redis://x:99999", error));
  EXPECT_EQ(error, "port in 'redis://x:99999' is not between 1 and 65535");
  EXPECT_FALSE(parse_redis_url("redis://:6379", error));
}

TEST(RedisCache, SetGetEraseExpireAndInvalidate) {
  REQUIRE_REDIS(address);
  SystemClock clock;
  RedisCache cache(*address, clock, {});
  const auto ns = unique_namespace();
  EXPECT_EQ(cache.get(ns, "a"), std::nullopt);
  cache.set(ns, "a", std::string("bin\0ary", 7), 60s);
  EXPECT_EQ(cache.get(ns, "a"), std::string("bin\0ary", 7));
  cache.erase(ns, "a");
  EXPECT_EQ(cache.get(ns, "a"), std::nullopt);

  cache.set(ns, "short", "v", 150ms);
  EXPECT_EQ(cache.get(ns, "short"), "v");
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(cache.get(ns, "short"), std::nullopt);

  cache.set(ns, "x", "1", 60s);
  cache.set(ns + "-other", "x", "2", 60s);
  cache.invalidate(ns);
  EXPECT_EQ(cache.get(ns, "x"), std::nullopt);
  EXPECT_EQ(cache.get(ns + "-other", "x"), "2");
  EXPECT_EQ(cache.stats().errors, 0u);
  EXPECT_FALSE(cache.breaker_open());
}

TEST(RedisCache, CountersAreFixedWindowsSharedByEveryClient) {
  REQUIRE_REDIS(address);
  SystemClock clock;
  RedisCache one(*address, clock, {});
  RedisCache two(*address, clock, {});  // another process, as far as Redis can tell
  const auto ns = unique_namespace();
  std::vector<std::thread> threads;
  for (auto* cache : {&one, &two, &one, &two})
    threads.emplace_back([cache, &ns] {
      for (int i = 0; i < 250; ++i) cache->increment(ns, "k", 1, 60s);
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(one.increment(ns, "k", 0, 60s), 1000);
  // The window is fixed: later increments do not push its expiry out.
  EXPECT_EQ(one.increment(ns, "short", 1, 300ms), 1);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(two.increment(ns, "short", 1, 300ms), 2);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(two.increment(ns, "short", 1, 300ms), 1);
}

TEST(RedisCache, InvalidationIsSeenByEveryProcessSharingRedis) {
  REQUIRE_REDIS(address);
  SystemClock clock;
  RedisCache first(*address, clock, {}), second(*address, clock, {});
  const auto ns = unique_namespace();
  first.set(ns, "k", "v", 60s);
  EXPECT_EQ(second.get(ns, "k"), "v");
  second.invalidate(ns);
  EXPECT_EQ(first.get(ns, "k"), std::nullopt);
}

TEST(RedisCache, ColdKeyIsComputedOnce) {
  REQUIRE_REDIS(address);
  SystemClock clock;
  RedisCache cache(*address, clock, {});
  const auto ns = unique_namespace();
  std::atomic<int> computed{0};
  std::vector<std::thread> threads;
  std::vector<std::optional<std::string>> results(6);
  for (std::size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      results[i] = cache.get_or_compute(ns, "hot", 60s, [&]() -> std::optional<std::string> {
        ++computed;
        std::this_thread::sleep_for(150ms);
        return "computed";
      });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(computed.load(), 1);
  for (const auto& r : results) EXPECT_EQ(r, "computed");
  EXPECT_EQ(cache.get(ns, "hot"), "computed");
}

TEST(RedisCache, KernelBuildsItFromCacheUrl) {
  const char* url = std::getenv("LORE_TEST_REDIS_URL");
  if (url == nullptr) GTEST_SKIP() << "LORE_TEST_REDIS_URL is not set (make test sets it)";
  Kernel kernel(parse_kernel_config(std::string("cache: { url: \"") + url + "\" }\nplugins: {}\n",
                                    "test.yaml", {}),
                KernelOptions{.serve_http = false});
  const auto ns = unique_namespace();
  kernel.cache().set(ns, "k", "through the kernel", 60s);
  SystemClock clock;
  RedisCache direct(*test_redis(), clock, {});
  EXPECT_EQ(direct.get(ns, "k"), "through the kernel");
}

TEST(RedisCache, BadRedisUrlIsAConfigurationError) {
  try {
    parse_kernel_config("cache:\n  url: \"redis://:0\"\n", "bad.yaml", {});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0],
              "bad.yaml:2:8: cache.url: port in 'redis://:0' is not between 1 and 65535");
  }
}

TEST(RedisCache, UnreachableRedisIsAMissAndTheBreakerStopsTrying) {
  ManualClock clock;
  RedisAddress nowhere{"127.0.0.1", test::free_port(), 0};  // nothing listens there
  RedisCache cache(nowhere, clock, RedisCache::Options{.failures_to_open = 3, .cool_down = 2s});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cache.get("ns", "k"), std::nullopt);
  EXPECT_TRUE(cache.breaker_open());
  EXPECT_EQ(cache.stats().errors, 3u);

  // While open, nothing is attempted: calls are misses and no errors accrue.
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache.get("ns", "k"), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);
  EXPECT_EQ(cache.stats().errors, 3u);
  EXPECT_EQ(cache.get_or_compute("ns", "k", 60s, [] { return std::optional<std::string>("db"); }),
            "db");  // the caller still gets its value, from the source

  clock.advance(3s);  // after the cool-down, Redis is tried again
  EXPECT_FALSE(cache.breaker_open());
  EXPECT_EQ(cache.get("ns", "k"), std::nullopt);
  EXPECT_EQ(cache.stats().errors, 4u);
}

}  // namespace
}  // namespace lore
