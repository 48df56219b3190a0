#include "http/response_cache.h"

#include <mutex>

namespace lore {

namespace sh = sdk::http;

ResponseCache::ResponseCache(const sdk::Clock& clock, Options options)
    : clock_(clock), options_(std::move(options)) {}

bool ResponseCache::shareable(const sh::Request& request) noexcept {
  return request.method == sh::Method::get && request.header("authorization") == nullptr;
}

std::string ResponseCache::key_of(const sh::Request& request) {
  // NUL cannot occur in a decoded path or query, so no two requests share a key.
  std::string key = request.path;
  for (const auto& [name, value] : request.query) {
    key += '\0';
    key += name;
    key += '\0';
    key += value;
  }
  return key;
}

bool ResponseCache::current(std::int64_t subject, std::uint64_t sequence) const {
  if (sequence < all_at_) return false;
  if (subject == 0) return sequence >= any_subject_at_;
  const auto it = subject_at_.find(subject);
  return it == subject_at_.end() || sequence >= it->second;
}

std::optional<sh::Response> ResponseCache::find(const sh::Request& request) const noexcept {
  if (!enabled()) return std::nullopt;
  try {
    const auto key = key_of(request);
    std::shared_ptr<const sh::Response> found;
    {
      std::shared_lock lock(mutex_);
      const auto it = entries_.find(key);
      if (it != entries_.end() && it->second.expires_at_ms > clock_.now_ms() &&
          it->second.epoch == current_epoch() && current(it->second.subject, it->second.sequence))
        found = it->second.response;
    }
    if (!found) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    return *found;  // copied outside the lock
  } catch (...) {
    return std::nullopt;  // out of memory: the handler answers instead
  }
}

ResponseCache::Ticket ResponseCache::ticket() const noexcept {
  // The epoch is read after the sequence: a plugin change between the two makes the answer
  // carry the newer epoch, which is then compared against an even newer one or kept rightly.
  Ticket t;
  t.sequence = sequence_.load(std::memory_order_acquire);
  t.epoch = current_epoch();
  return t;
}

void ResponseCache::store(const sh::Request& request, const sh::Response& response, Ticket ticket,
                          std::int64_t subject) noexcept {
  if (!keeps(request) || response.status != 200 || response.error ||
      response.body.size() > options_.max_body_bytes)
    return;
  try {
    auto key = key_of(request);
    Entry entry;
    entry.response = std::make_shared<const sh::Response>(response);
    entry.subject = subject;
    entry.sequence = ticket.sequence;
    entry.epoch = ticket.epoch;
    const auto now = clock_.now_ms();
    entry.expires_at_ms = now + options_.ttl_ms;
    entry.bytes = key.size() + response.body.size() + sizeof(Entry);
    std::unique_lock lock(mutex_);
    if (!current(subject, ticket.sequence) || ticket.epoch != current_epoch()) return;
    if (bytes_ + entry.bytes > options_.max_bytes) sweep(now);
    // Full of fresh answers (many distinct queries): the newcomer waits for room.
    if (bytes_ + entry.bytes > options_.max_bytes) return;
    const auto [it, inserted] = entries_.try_emplace(std::move(key));
    if (!inserted) bytes_ -= it->second.bytes;
    bytes_ += entry.bytes;
    it->second = std::move(entry);
  } catch (...) {
    // Not keeping an answer is always safe.
  }
}

void ResponseCache::sweep(std::int64_t now_ms) {
  const auto epoch = current_epoch();
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto& e = it->second;
    if (e.expires_at_ms <= now_ms || e.epoch != epoch || !current(e.subject, e.sequence)) {
      bytes_ -= e.bytes;
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void ResponseCache::invalidate(std::int64_t subject) noexcept {
  std::unique_lock lock(mutex_);
  const auto at = sequence_.fetch_add(1, std::memory_order_acq_rel) + 1;
  any_subject_at_ = at;
  try {
    subject_at_[subject] = at;
  } catch (...) {
    all_at_ = at;  // cannot remember the subject: forget everything instead
  }
}

void ResponseCache::invalidate_all() noexcept {
  std::unique_lock lock(mutex_);
  all_at_ = sequence_.fetch_add(1, std::memory_order_acq_rel) + 1;
  bytes_ = 0;
  entries_.clear();
}

ResponseCache::Stats ResponseCache::stats() const noexcept {
  Stats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  std::shared_lock lock(mutex_);
  s.entries = entries_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace lore
