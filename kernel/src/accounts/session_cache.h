// Validated sessions, remembered so that a request does not cost a database query: a short
// in-process layer (auth.session_cache_ms, read without contention) over the site's cache
// (shared by every process when it is Redis). Shared keys are token hashes; the local layer is
// keyed by the token itself, so that a hit costs no hashing (measured: SHA-256 was most of a
// cached check; bench/auth.sh), and indexed by hash so that forgetting works. Tokens are random and
// never reissued, so "no such session" is remembered too, in the local layer, which keeps a
// client that repeats a made-up or revoked token off the database.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lore/sdk/cache.h"
#include "lore/sdk/clock.h"

namespace lore {

struct CachedSession {
  std::int64_t session_id = 0;  // 0: known not to be a live session
  std::int64_t user_id = 0;
  std::vector<std::string> roles;
  std::int64_t expires_at_ms = 0;

  bool live() const noexcept { return session_id != 0; }
};

class SessionCache {
 public:
  struct Options {
    std::chrono::milliseconds local_ttl{5000};
    std::chrono::milliseconds shared_ttl{60000};
    std::size_t max_local_entries = 100000;
  };

  SessionCache(sdk::Cache& shared, const sdk::Clock& clock, Options options);

  // This process's copy, if it is fresh.
  std::optional<CachedSession> find_local(std::string_view token);
  // The shared copy (kept locally too, when found).
  std::optional<CachedSession> find_shared(std::string_view token, const std::string& token_hash);
  void remember(std::string_view token, const std::string& token_hash,
                const CachedSession& session);
  // Forgets sessions that ended or whose user changed, here and in the shared cache.
  void forget(const std::vector<std::string>& token_hashes);

  static constexpr std::string_view kNamespace = "kernel.sessions";

 private:
  struct Local {
    CachedSession session;
    std::chrono::steady_clock::time_point until;
    std::string token_hash;
  };
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  void remember_locally(std::string_view token, const std::string& token_hash,
                        const CachedSession& session);

  sdk::Cache& shared_;
  const sdk::Clock& clock_;
  Options options_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Local, TransparentHash, std::equal_to<>> local_;  // by token
  std::unordered_map<std::string, std::string> token_of_hash_;
};

}  // namespace lore
