// API keys in auth_apikey_keys: made (the secret returned once), listed, revoked, and checked.
#pragma once

#include <lore/sdk/clock.h>
#include <lore/sdk/database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auth_apikey {

inline constexpr std::string_view kPrefix = "lore_key_";

struct ApiKey {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string name;
  std::string prefix;  // "lore_key_" and the key's first 8 characters, for lists
  std::vector<std::string> scopes;
  std::int64_t created_by = 0;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> expires_at_ms;
  std::optional<std::int64_t> last_used_at_ms;
  std::optional<std::int64_t> revoked_at_ms;
};

struct NewKey {
  std::string secret;  // give it to the caller; never stored
  ApiKey key;
};

class ApiKeyStore {
 public:
  ApiKeyStore(lore::sdk::db::Database& database, const lore::sdk::Clock& clock);

  NewKey create(std::int64_t user_id, const std::string& name,
                const std::vector<std::string>& scopes, std::int64_t created_by,
                std::optional<std::int64_t> expires_at_ms);
  std::vector<ApiKey> list(std::int64_t after_id, int limit);
  // The revoked key's hash (to forget it in caches); nullopt when there is no live key `id`.
  std::optional<std::string> revoke(std::int64_t id);
  // The live key (not revoked, not expired) whose secret is `secret`.
  std::optional<ApiKey> find_live(std::string_view secret);
  // The hashes of the user's keys that are not revoked (to forget them in caches).
  std::vector<std::string> unrevoked_hashes(std::int64_t user_id);
  // Records a use, at most once a minute per key.
  void touch(std::int64_t id);

  static std::string hash(std::string_view secret);

 private:
  lore::sdk::db::Database& database_;
  const lore::sdk::Clock& clock_;
};

}  // namespace auth_apikey
