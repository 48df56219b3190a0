// Cache get/set cost: the in-process LRU and the Redis backend, each next to the floor it is
// built on, measured in the same run:
//   Memory*   MemoryCache (LRU, TTL, namespace versions)  vs  MapBaseline*: a mutex-guarded
//             std::unordered_map<std::string, std::string>, the least any shared in-process
//             cache pays;
//   Redis*    RedisCache (pooled contexts, namespace version fetched with the value, breaker)
//             vs  HiredisBaseline*: one blocking hiredis context sending the same GET/SET
//             itself — one round trip, the floor of any Redis client.
// Values are 200 bytes (a cached JSON list entry). Redis cases need LORE_BENCH_REDIS_URL
// (bench/storage.sh starts a throwaway Redis and sets it); without it they are skipped.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cache/memory_cache.h"
#include "cache/redis_cache.h"
#include "core/clocks.h"

namespace {

using namespace std::chrono_literals;

const std::string kValue(200, 'v');
constexpr int kKeys = 1000;

std::string key_of(std::int64_t i) { return "course:" + std::to_string(i % kKeys); }

std::optional<lore::RedisAddress> redis_address() {
  const char* url = std::getenv("LORE_BENCH_REDIS_URL");
  if (url == nullptr) return std::nullopt;
  std::string error;
  return lore::parse_redis_url(url, error);
}

lore::SystemClock& clock() {
  static lore::SystemClock c;
  return c;
}

// --- in-process ------------------------------------------------------------------------------

lore::MemoryCache& memory() {
  static lore::MemoryCache cache(clock(), lore::MemoryCache::Options{});
  return cache;
}

struct MapBaseline {
  std::mutex mutex;
  std::unordered_map<std::string, std::string> map;
};
MapBaseline& map_baseline() {
  static MapBaseline m;
  return m;
}

void BM_MemoryGet(benchmark::State& state) {
  if (state.thread_index() == 0)
    for (int i = 0; i < kKeys; ++i) memory().set("bench", key_of(i), kValue, 1h);
  std::int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(memory().get("bench", key_of(i++)));
}
BENCHMARK(BM_MemoryGet)->Threads(1)->Threads(2)->UseRealTime();

void BM_MapBaselineGet(benchmark::State& state) {
  auto& m = map_baseline();
  if (state.thread_index() == 0) {
    std::lock_guard lock(m.mutex);
    for (int i = 0; i < kKeys; ++i) m.map["bench/" + key_of(i)] = kValue;
  }
  std::int64_t i = 0;
  for (auto _ : state) {
    std::optional<std::string> out;
    const std::string key = "bench/" + key_of(i++);
    {
      std::lock_guard lock(m.mutex);
      auto it = m.map.find(key);
      if (it != m.map.end()) out = it->second;
    }
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_MapBaselineGet)->Threads(1)->Threads(2)->UseRealTime();

void BM_MemorySet(benchmark::State& state) {
  std::int64_t i = 0;
  for (auto _ : state) memory().set("bench", key_of(i++), kValue, 1h);
}
BENCHMARK(BM_MemorySet)->Threads(1)->Threads(2)->UseRealTime();

void BM_MapBaselineSet(benchmark::State& state) {
  auto& m = map_baseline();
  std::int64_t i = 0;
  for (auto _ : state) {
    const std::string key = "bench/" + key_of(i++);
    std::lock_guard lock(m.mutex);
    m.map[key] = kValue;
  }
}
BENCHMARK(BM_MapBaselineSet)->Threads(1)->Threads(2)->UseRealTime();

// --- Redis -------------------------------------------------------------------------------------

lore::RedisCache* redis() {
  static std::unique_ptr<lore::RedisCache> cache = [] {
    auto address = redis_address();
    return address
               ? std::make_unique<lore::RedisCache>(*address, clock(), lore::RedisCache::Options{})
               : nullptr;
  }();
  return cache.get();
}

using Context = std::unique_ptr<redisContext, decltype(&redisFree)>;
Context hiredis_context() {
  auto address = redis_address();
  if (!address) return {nullptr, &redisFree};
  return {redisConnect(address->host.c_str(), address->port), &redisFree};
}

void BM_RedisGet(benchmark::State& state) {
  auto* cache = redis();
  if (cache == nullptr) return state.SkipWithError("LORE_BENCH_REDIS_URL is not set");
  if (state.thread_index() == 0)
    for (int i = 0; i < kKeys; ++i) cache->set("bench", key_of(i), kValue, 1h);
  std::int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cache->get("bench", key_of(i++)));
}
BENCHMARK(BM_RedisGet)->Threads(1)->Threads(2)->UseRealTime();

void BM_HiredisBaselineGet(benchmark::State& state) {
  auto c = hiredis_context();
  if (!c || c->err) return state.SkipWithError("LORE_BENCH_REDIS_URL is not set or unreachable");
  if (state.thread_index() == 0)
    for (int i = 0; i < kKeys; ++i)
      freeReplyObject(redisCommand(c.get(), "SET bench:%s %b", key_of(i).c_str(), kValue.data(),
                                   kValue.size()));
  std::int64_t i = 0;
  for (auto _ : state) {
    auto* reply =
        static_cast<redisReply*>(redisCommand(c.get(), "GET bench:%s", key_of(i++).c_str()));
    benchmark::DoNotOptimize(reply);
    freeReplyObject(reply);
  }
}
BENCHMARK(BM_HiredisBaselineGet)->Threads(1)->Threads(2)->UseRealTime();

void BM_RedisSet(benchmark::State& state) {
  auto* cache = redis();
  if (cache == nullptr) return state.SkipWithError("LORE_BENCH_REDIS_URL is not set");
  std::int64_t i = 0;
  for (auto _ : state) cache->set("bench", key_of(i++), kValue, 1h);
}
BENCHMARK(BM_RedisSet)->Threads(1)->Threads(2)->UseRealTime();

void BM_HiredisBaselineSet(benchmark::State& state) {
  auto c = hiredis_context();
  if (!c || c->err) return state.SkipWithError("LORE_BENCH_REDIS_URL is not set or unreachable");
  std::int64_t i = 0;
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(redisCommand(
        c.get(), "SET bench:%s %b PX 3600000", key_of(i++).c_str(), kValue.data(), kValue.size()));
    benchmark::DoNotOptimize(reply);
    freeReplyObject(reply);
  }
}
BENCHMARK(BM_HiredisBaselineSet)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
