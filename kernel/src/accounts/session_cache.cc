#include "accounts/session_cache.h"

#include <mutex>
#include <nlohmann/json.hpp>

namespace lore {

SessionCache::SessionCache(sdk::Cache& shared, const sdk::Clock& clock, Options options)
    : shared_(shared), clock_(clock), options_(options) {}

std::optional<CachedSession> SessionCache::find_local(std::string_view token) {
  if (options_.local_ttl.count() <= 0) return std::nullopt;
  const auto now = clock_.monotonic();
  std::shared_lock lock(mutex_);
  if (auto it = local_.find(token); it != local_.end() && now < it->second.until)
    return it->second.session;
  return std::nullopt;
}

std::optional<CachedSession> SessionCache::find_shared(std::string_view token,
                                                       const std::string& token_hash) {
  auto text = shared_.get(kNamespace, token_hash);
  if (!text) return std::nullopt;
  try {
    const auto json = nlohmann::json::parse(*text);
    CachedSession session{json.at("s").get<std::int64_t>(), json.at("u").get<std::int64_t>(),
                          json.at("r").get<std::vector<std::string>>(),
                          json.at("e").get<std::int64_t>()};
    remember_locally(token, token_hash, session);
    return session;
  } catch (const nlohmann::json::exception&) {
    shared_.erase(kNamespace, token_hash);  // written by another version: ask the database
    return std::nullopt;
  }
}

void SessionCache::remember(std::string_view token, const std::string& token_hash,
                            const CachedSession& session) {
  remember_locally(token, token_hash, session);
  if (!session.live()) return;  // shared entries are positive only: they outlive the local ones
  const auto left = std::chrono::milliseconds(session.expires_at_ms - clock_.now_ms());
  const auto ttl = std::min(options_.shared_ttl, left);
  if (ttl.count() <= 0) return;
  shared_.set(kNamespace, token_hash,
              nlohmann::json{{"s", session.session_id},
                             {"u", session.user_id},
                             {"r", session.roles},
                             {"e", session.expires_at_ms}}
                  .dump(),
              ttl);
}

void SessionCache::remember_locally(std::string_view token, const std::string& token_hash,
                                    const CachedSession& session) {
  if (options_.local_ttl.count() <= 0) return;
  const auto until = clock_.monotonic() + options_.local_ttl;
  std::unique_lock lock(mutex_);
  if (local_.size() >= options_.max_local_entries) {
    // Entries are short-lived and cheap to rebuild: start over rather than track recency.
    local_.clear();
    token_of_hash_.clear();
  }
  local_.insert_or_assign(std::string(token), Local{session, until, token_hash});
  token_of_hash_[token_hash] = std::string(token);
}

void SessionCache::forget(const std::vector<std::string>& token_hashes) {
  {
    std::unique_lock lock(mutex_);
    for (const auto& hash : token_hashes) {
      if (auto it = token_of_hash_.find(hash); it != token_of_hash_.end()) {
        local_.erase(it->second);
        token_of_hash_.erase(it);
      }
    }
  }
  for (const auto& hash : token_hashes) shared_.erase(kNamespace, hash);
}

}  // namespace lore
