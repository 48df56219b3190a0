// Sign-in sessions: opaque random tokens (256 bits) handed to the client once, stored only as
// a SHA-256 hash, with a sliding lifetime. They live in the database (lore_sessions), so any
// `lore` process sharing it can validate them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lore/sdk/accounts.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"

namespace lore {

using SessionRecord = sdk::accounts::Session;
using IssuedSession = sdk::accounts::IssuedSession;

class SessionStore {
 public:
  struct Options {
    std::chrono::milliseconds lifetime = std::chrono::hours(24 * 30);
    // A session's expiry moves forward when it is used, at most this often (one write per
    // session per interval, not one per request).
    std::chrono::milliseconds slide_every = std::chrono::minutes(10);
  };

  SessionStore(sdk::db::Database& database, const sdk::Clock& clock, Options options);

  // Throws AccountError(suspended or not_found) unless the user is active. The check and the
  // insert share one transaction (`tx`, or one of its own), so a suspension committed meanwhile
  // cannot miss the new session.
  IssuedSession issue(std::int64_t user_id, std::string_view user_agent, std::string_view ip,
                      sdk::db::Transaction* tx = nullptr);
  // Whether the session is still live for an active user holding exactly `roles` (a second look
  // after caching it: see Authenticator).
  bool still_as_seen(std::int64_t session_id, std::int64_t user_id,
                     const std::vector<std::string>& roles);
  // The live session the token belongs to (not revoked, not expired), its expiry slid forward
  // when due; nullopt otherwise. Compares hashes only.
  std::optional<SessionRecord> validate(std::string_view token);
  // Revokes one of `user_id`'s sessions; false when it is not theirs or already ended.
  bool revoke(std::int64_t session_id, std::int64_t user_id);
  // Revokes every live session of the user except `keep` (0: none); returns how many.
  std::int64_t revoke_all(std::int64_t user_id, std::int64_t keep = 0);
  // The user's live sessions, newest first.
  std::vector<SessionRecord> list(std::int64_t user_id);
  // Hashes of the user's live sessions (to forget them in caches when they end or change).
  std::vector<std::string> live_hashes(std::int64_t user_id);
  // The hash of one session of the user, live or not; nullopt when it is not theirs.
  std::optional<std::string> hash_of(std::int64_t session_id, std::int64_t user_id);
  // The session's owner, for ownership checks; nullopt when there is no such session.
  std::optional<std::int64_t> owner_of(std::int64_t session_id);
  // The roles of a session's user, for its principal.
  std::vector<std::string> roles_of(std::int64_t user_id);
  const Options& options() const noexcept { return options_; }

  static std::string hash(std::string_view token);

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
  Options options_;
};

}  // namespace lore
