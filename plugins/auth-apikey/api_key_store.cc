#include "api_key_store.h"

#include <sodium.h>

#include <stdexcept>

namespace auth_apikey {

namespace db = lore::sdk::db;

namespace {

constexpr const char* kColumns =
    "id, user_id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, "
    "revoked_at";

std::string joined(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

ApiKey key_of(const db::Row& row) {
  ApiKey k;
  k.id = row.get<std::int64_t>("id");
  k.user_id = row.get<std::int64_t>("user_id");
  k.name = row.get<std::string>("name");
  k.prefix = row.get<std::string>("prefix");
  k.scopes = split(row.get<std::string>("scopes"));
  k.created_by = row.get<std::int64_t>("created_by");
  k.created_at_ms = row.get<std::int64_t>("created_at");
  k.expires_at_ms = row.get_optional<std::int64_t>("expires_at");
  k.last_used_at_ms = row.get_optional<std::int64_t>("last_used_at");
  k.revoked_at_ms = row.get_optional<std::int64_t>("revoked_at");
  return k;
}

}  // namespace

ApiKeyStore::ApiKeyStore(db::Database& database, const lore::sdk::Clock& clock)
    : database_(database), clock_(clock) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string ApiKeyStore::hash(std::string_view secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

NewKey ApiKeyStore::create(std::int64_t user_id, const std::string& name,
                           const std::vector<std::string>& scopes, std::int64_t created_by,
                           std::optional<std::int64_t> expires_at_ms) {
  unsigned char random[32];  // 256 bits from the OS CSPRNG
  randombytes_buf(random, sizeof random);
  char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(random, sizeof random);
  NewKey made;
  made.secret = std::string(kPrefix) + encoded;
  auto& k = made.key;
  k.user_id = user_id;
  k.name = name;
  k.prefix = made.secret.substr(0, kPrefix.size() + 8);
  k.scopes = scopes;
  k.created_by = created_by;
  k.created_at_ms = clock_.now_ms();
  k.expires_at_ms = expires_at_ms;
  k.id = database_.session().insert(
      "INSERT INTO auth_apikey_keys (user_id, name, prefix, key_hash, scopes, created_by, "
      "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {user_id, name, k.prefix, hash(made.secret), joined(scopes), created_by, k.created_at_ms,
       expires_at_ms ? db::Value(*expires_at_ms) : db::Value(nullptr)});
  return made;
}

std::vector<ApiKey> ApiKeyStore::list(std::int64_t after_id, int limit) {
  std::vector<ApiKey> out;
  for (const auto& row : database_.session().query(
           std::string("SELECT ") + kColumns +
               " FROM auth_apikey_keys WHERE id > ? ORDER BY id LIMIT " + std::to_string(limit),
           {after_id}))
    out.push_back(key_of(row));
  return out;
}

std::optional<std::string> ApiKeyStore::revoke(std::int64_t id) {
  return database_.transact([&](db::Transaction& tx) -> std::optional<std::string> {
    auto row = tx.query_one(
        "SELECT key_hash FROM auth_apikey_keys WHERE id = ? AND revoked_at IS NULL", {id});
    if (!row) return std::nullopt;
    if (tx.execute("UPDATE auth_apikey_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                   {clock_.now_ms(), id}) == 0)
      return std::nullopt;
    return row->get<std::string>("key_hash");
  });
}

std::optional<ApiKey> ApiKeyStore::find_live(std::string_view secret) {
  auto row = database_.session().query_one(
      std::string("SELECT ") + kColumns +
          " FROM auth_apikey_keys WHERE key_hash = ? AND revoked_at IS NULL AND (expires_at IS "
          "NULL OR expires_at > ?)",
      {hash(secret), clock_.now_ms()});
  if (!row) return std::nullopt;
  return key_of(*row);
}

std::vector<std::string> ApiKeyStore::unrevoked_hashes(std::int64_t user_id) {
  std::vector<std::string> out;
  for (const auto& row : database_.session().query(
           "SELECT key_hash FROM auth_apikey_keys WHERE user_id = ? AND revoked_at IS NULL",
           {user_id}))
    out.push_back(row.get<std::string>("key_hash"));
  return out;
}

void ApiKeyStore::touch(std::int64_t id) {
  const auto now = clock_.now_ms();
  // Conditional, so a busy key costs one write a minute, not one per request.
  database_.session().execute(
      "UPDATE auth_apikey_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR "
      "last_used_at < ?)",
      {now, id, now - 60000});
}

}  // namespace auth_apikey
