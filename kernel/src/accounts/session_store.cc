#include "accounts/session_store.h"

#include <sodium.h>

#include <stdexcept>

namespace lore {

namespace db = sdk::db;

namespace {

constexpr std::string_view kTokenPrefix = "lore_";  // lets secret scanners recognise a leak
constexpr const char* kColumns =
    "id, user_id, created_at, last_used_at, expires_at, user_agent, ip";

SessionRecord record_of(const db::Row& row) {
  return {row.get<std::int64_t>("id"),
          row.get<std::int64_t>("user_id"),
          row.get<std::int64_t>("created_at"),
          row.get<std::int64_t>("last_used_at"),
          row.get<std::int64_t>("expires_at"),
          row.get_optional<std::string>("user_agent").value_or(""),
          row.get_optional<std::string>("ip").value_or("")};
}

std::string clipped(std::string_view text, std::size_t most) {
  return std::string(text.substr(0, most));
}

}  // namespace

SessionStore::SessionStore(db::Database& database, const sdk::Clock& clock, Options options)
    : database_(database), clock_(clock), options_(options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::int64_t SessionStore::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
      .count();
}

std::string SessionStore::hash(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

IssuedSession SessionStore::issue(std::int64_t user_id, std::string_view user_agent,
                                  std::string_view ip) {
  unsigned char random[32];  // 256 bits from the OS CSPRNG
  randombytes_buf(random, sizeof random);
  char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(random, sizeof random);
  IssuedSession issued;
  issued.token = std::string(kTokenPrefix) + encoded;
  const auto now = now_ms();
  const auto expires = now + options_.lifetime.count();
  auto& s = issued.session;
  s.id = database_.session().insert(
      "INSERT INTO lore_sessions (token_hash, user_id, created_at, last_used_at, expires_at, "
      "user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {hash(issued.token), user_id, now, now, expires, clipped(user_agent, 255), clipped(ip, 64)});
  s.user_id = user_id;
  s.created_at_ms = s.last_used_at_ms = now;
  s.expires_at_ms = expires;
  s.user_agent = clipped(user_agent, 255);
  s.ip = clipped(ip, 64);
  return issued;
}

std::optional<SessionRecord> SessionStore::validate(std::string_view token) {
  if (token.size() < kTokenPrefix.size() + 43 || token.size() > 128 ||
      token.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return std::nullopt;
  const auto now = now_ms();
  auto session = database_.session();
  auto row = session.query_one(std::string("SELECT ") + kColumns +
                                   " FROM lore_sessions WHERE token_hash = ? AND revoked_at IS "
                                   "NULL AND expires_at > ?",
                               {hash(token), now});
  if (!row) return std::nullopt;
  auto record = record_of(*row);
  if (now - record.last_used_at_ms >= options_.slide_every.count()) {
    const auto expires = now + options_.lifetime.count();
    // Conditional: a concurrent revoke wins, and of two concurrent slides one writes.
    if (session.execute("UPDATE lore_sessions SET last_used_at = ?, expires_at = ? WHERE id = ? "
                        "AND revoked_at IS NULL AND last_used_at = ?",
                        {now, expires, record.id, record.last_used_at_ms}) == 1) {
      record.last_used_at_ms = now;
      record.expires_at_ms = expires;
    }
  }
  return record;
}

bool SessionStore::revoke(std::int64_t session_id, std::int64_t user_id) {
  return database_.session().execute(
             "UPDATE lore_sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND "
             "revoked_at IS NULL AND expires_at > ?",
             {now_ms(), session_id, user_id, now_ms()}) == 1;
}

std::int64_t SessionStore::revoke_all(std::int64_t user_id, std::int64_t keep) {
  const auto now = now_ms();
  return database_.session().execute(
      "UPDATE lore_sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS "
      "NULL AND expires_at > ?",
      {now, user_id, keep, now});
}

std::vector<SessionRecord> SessionStore::list(std::int64_t user_id) {
  std::vector<SessionRecord> out;
  for (const auto& row : database_.session().query(
           std::string("SELECT ") + kColumns +
               " FROM lore_sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? "
               "ORDER BY created_at DESC, id DESC",
           {user_id, now_ms()}))
    out.push_back(record_of(row));
  return out;
}

}  // namespace lore
