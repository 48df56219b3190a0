// Rendered answers of public read routes, kept for callers without credentials and served again
// without a worker, a database read or a JSON rendering: on the reactor thread when the HTTP
// server finds them (Pipeline::cached), in the pipeline otherwise.
//
// An answer is stored by the route's handler, which knows what it was built from: a subject
// (one course, say; 0 for an answer built from many, like a list) and a ticket taken before the
// handler read anything. Invalidating a subject drops its answers and every many-subject answer;
// invalidating all drops everything. A ticket older than an invalidation cannot store, so an
// answer read before a write and finished after it is never kept. Answers also expire after a
// time-to-live on the kernel's clock (they may depend on the time, like a release date) and
// when `epoch` (an outside version they depend on, like the set of running plugins) moves.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "lore/sdk/clock.h"
#include "lore/sdk/http.h"

namespace lore {

class ResponseCache {
 public:
  struct Options {
    std::int64_t ttl_ms = 1000;            // 0 disables the cache
    std::size_t max_bytes = 64 << 20;      // bodies and keys together
    std::size_t max_body_bytes = 1 << 20;  // larger answers are not kept
    std::function<std::uint64_t()> epoch;  // optional
  };
  struct Ticket {
    std::uint64_t sequence = 0;
    std::uint64_t epoch = 0;
  };
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t entries = 0;
    std::uint64_t bytes = 0;
  };

  ResponseCache(const sdk::Clock& clock, Options options);

  bool enabled() const noexcept { return options_.ttl_ms > 0; }
  // GET without an Authorization header: what every caller without credentials sees alike.
  static bool shareable(const sdk::http::Request& request) noexcept;
  // Whether an answer to `request` would be kept: the cache is on, the request shareable and
  // nobody signed in (a handler reads more carefully for an answer it will keep).
  bool keeps(const sdk::http::Request& request) const noexcept {
    return enabled() && shareable(request) && !request.principal;
  }

  // The stored answer to `request`, when fresh; counts a hit or a miss.
  std::optional<sdk::http::Response> find(const sdk::http::Request& request) const noexcept;
  // Take before reading what an answer is built from.
  Ticket ticket() const noexcept;
  // Keeps a 200 answer to a shareable request unless something it depends on changed since
  // `ticket`, or the cache is full of fresh answers.
  void store(const sdk::http::Request& request, const sdk::http::Response& response, Ticket ticket,
             std::int64_t subject) noexcept;

  void invalidate(std::int64_t subject) noexcept;
  void invalidate_all() noexcept;

  Stats stats() const noexcept;

 private:
  struct Entry {
    std::shared_ptr<const sdk::http::Response> response;
    std::int64_t subject = 0;
    std::uint64_t sequence = 0;
    std::uint64_t epoch = 0;
    std::int64_t expires_at_ms = 0;
    std::size_t bytes = 0;
  };
  static std::string key_of(const sdk::http::Request& request);
  std::uint64_t current_epoch() const noexcept { return options_.epoch ? options_.epoch() : 0; }
  // Under the lock: whether an answer read at `sequence` about `subject` is still good.
  bool current(std::int64_t subject, std::uint64_t sequence) const;
  // Under the exclusive lock: drops expired and outdated entries.
  void sweep(std::int64_t now_ms);

  const sdk::Clock& clock_;
  Options options_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t bytes_ = 0;
  std::atomic<std::uint64_t> sequence_{1};
  // The sequence numbers of the latest invalidations: of everything, of any subject, by subject.
  std::uint64_t all_at_ = 0;
  std::uint64_t any_subject_at_ = 0;
  std::unordered_map<std::int64_t, std::uint64_t> subject_at_;
  mutable std::atomic<std::uint64_t> hits_{0};
  mutable std::atomic<std::uint64_t> misses_{0};
};

}  // namespace lore
