#include "cache/memory_cache.h"

#include <spdlog/spdlog.h>

namespace lore {

MemoryCache::MemoryCache(const sdk::Clock& clock, Options options)
    : clock_(clock), options_(options) {
  if (options_.max_entries == 0) options_.max_entries = 1;
}

std::string MemoryCache::full_key(std::string_view ns, std::string_view key) {
  auto it = versions_.find(ns);
  const std::uint64_t version = it == versions_.end() ? 0 : it->second;
  std::string full;
  full.reserve(ns.size() + key.size() + 24);
  full.append(ns).append(1, '\x1f').append(std::to_string(version)).append(1, '\x1f').append(key);
  return full;
}

std::optional<std::string> MemoryCache::lookup_locked(const std::string& full) {
  auto it = entries_.find(full);
  if (it == entries_.end()) return std::nullopt;
  if (clock_.monotonic() >= it->second.expires) {
    remove_locked(full);
    return std::nullopt;
  }
  recency_.splice(recency_.begin(), recency_, it->second.recency);
  return it->second.value;
}

void MemoryCache::store_locked(const std::string& full, std::string value,
                               std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) return;
  // Jitter spreads the expiry of keys written together, so they are not recomputed together.
  std::uniform_real_distribution<double> shave(0.0, options_.ttl_jitter);
  const auto jittered = std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(ttl.count()) * (1.0 - shave(random_))));
  const auto expires = clock_.monotonic() + std::max(jittered, std::chrono::milliseconds(1));
  if (auto it = entries_.find(full); it != entries_.end()) {
    it->second.value = std::move(value);
    it->second.expires = expires;
    recency_.splice(recency_.begin(), recency_, it->second.recency);
    return;
  }
  while (entries_.size() >= options_.max_entries && !recency_.empty()) {
    entries_.erase(recency_.back());
    recency_.pop_back();
    ++stats_.evictions;
  }
  recency_.push_front(full);
  entries_.emplace(full, Entry{std::move(value), expires, recency_.begin()});
}

void MemoryCache::remove_locked(const std::string& full) {
  auto it = entries_.find(full);
  if (it == entries_.end()) return;
  recency_.erase(it->second.recency);
  entries_.erase(it);
}

std::optional<std::string> MemoryCache::get(std::string_view ns, std::string_view key) noexcept {
  try {
    std::lock_guard lock(mutex_);
    auto value = lookup_locked(full_key(ns, key));
    ++(value ? stats_.hits : stats_.misses);
    return value;
  } catch (...) {
    std::lock_guard lock(mutex_);
    ++stats_.errors;
    return std::nullopt;
  }
}

void MemoryCache::set(std::string_view ns, std::string_view key, std::string value,
                      std::chrono::milliseconds ttl) noexcept {
  try {
    std::lock_guard lock(mutex_);
    store_locked(full_key(ns, key), std::move(value), ttl);
  } catch (...) {
    std::lock_guard lock(mutex_);
    ++stats_.errors;
  }
}

void MemoryCache::erase(std::string_view ns, std::string_view key) noexcept {
  try {
    std::lock_guard lock(mutex_);
    remove_locked(full_key(ns, key));
  } catch (...) {
  }
}

void MemoryCache::invalidate(std::string_view ns) noexcept {
  try {
    std::lock_guard lock(mutex_);
    auto it = versions_.find(ns);
    if (it == versions_.end())
      versions_.emplace(std::string(ns), 1);
    else
      ++it->second;
    // Entries of the old version are unreachable now; the LRU evicts them in time.
  } catch (...) {
  }
}

std::optional<std::int64_t> MemoryCache::increment(std::string_view ns, std::string_view key,
                                                   std::int64_t delta,
                                                   std::chrono::milliseconds ttl) noexcept {
  try {
    std::lock_guard lock(mutex_);
    const auto full = full_key(ns, key);
    auto it = entries_.find(full);
    if (it != entries_.end() && clock_.monotonic() < it->second.expires) {
      // Counters are stored as decimal text, like every value; the window keeps its expiry.
      const auto value = std::stoll(it->second.value) + delta;
      it->second.value = std::to_string(value);
      recency_.splice(recency_.begin(), recency_, it->second.recency);
      return value;
    }
    if (it != entries_.end()) remove_locked(full);
    if (ttl.count() <= 0) return delta;
    recency_.push_front(full);
    while (entries_.size() >= options_.max_entries && recency_.size() > 1) {
      entries_.erase(recency_.back());
      recency_.pop_back();
      ++stats_.evictions;
    }
    // No jitter: a rate-limit window must last exactly as long as configured.
    entries_.emplace(full,
                     Entry{std::to_string(delta), clock_.monotonic() + ttl, recency_.begin()});
    return delta;
  } catch (...) {
    std::lock_guard lock(mutex_);
    ++stats_.errors;
    return std::nullopt;
  }
}

std::optional<std::string> MemoryCache::get_or_compute_erased(
    std::string_view ns, std::string_view key, std::chrono::milliseconds ttl,
    const std::function<std::optional<std::string>()>& compute) noexcept {
  try {
    std::string full;
    {
      std::lock_guard lock(mutex_);
      full = full_key(ns, key);
      if (auto value = lookup_locked(full)) {
        ++stats_.hits;
        return value;
      }
      ++stats_.misses;
    }
    return flights_.run(full, [&]() -> std::optional<std::string> {
      auto value = compute();
      std::lock_guard lock(mutex_);
      ++stats_.computes;
      if (value) store_locked(full, *value, ttl);
      return value;
    });
  } catch (...) {
    return std::nullopt;
  }
}

sdk::CacheStats MemoryCache::stats() const noexcept {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::size_t MemoryCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace lore
