#include "accounts/session_store.h"

#include <sodium.h>

#include <stdexcept>

#include "accounts/account_error.h"

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

// At most `most` bytes, cut at a character boundary, with bytes that are not UTF-8 replaced by
// '?': user agents come from clients, and MySQL's utf8mb4 columns refuse malformed text.
std::string clipped(std::string_view text, std::size_t most) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (std::size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    if (!ok) n = 1;
    if (out.size() + n > most) break;
    if (ok)
      out.append(text.substr(i, n));
    else
      out += '?';
    i += n;
  }
  return out;
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
  auto status =
      database_.session().query_one("SELECT status FROM lore_users WHERE id = ?", {user_id});
  if (!status || status->get<std::string>("status") != "active")
    throw AccountError(status ? "suspended" : "not_found", "",
                       "no session for a user who is not active");
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
  // Only an active user's session counts: a suspension takes effect on the next request.
  auto row = session.query_one(
      "SELECT s.id AS id, s.user_id AS user_id, s.created_at AS created_at, s.last_used_at AS "
      "last_used_at, s.expires_at AS expires_at, s.user_agent AS user_agent, s.ip AS ip FROM "
      "lore_sessions s JOIN lore_users u ON u.id = s.user_id WHERE s.token_hash = ? AND "
      "s.revoked_at IS NULL AND s.expires_at > ? AND u.status = 'active'",
      {hash(token), now});
  if (!row) return std::nullopt;
  auto record = record_of(*row);
  if (now - record.last_used_at_ms >= options_.slide_every.count()) {
    const auto expires = now + options_.lifetime.count();
    // Conditional: a concurrent revoke wins, and of two concurrent slides one writes. The slide
    // is a courtesy: if the write cannot be made now (a lock), the session is still valid.
    try {
      if (session.execute("UPDATE lore_sessions SET last_used_at = ?, expires_at = ? WHERE id = "
                          "? AND revoked_at IS NULL AND last_used_at = ?",
                          {now, expires, record.id, record.last_used_at_ms}) == 1) {
        record.last_used_at_ms = now;
        record.expires_at_ms = expires;
      }
    } catch (const db::Error& e) {
      if (e.kind() == db::ErrorKind::invalid || e.kind() == db::ErrorKind::constraint) throw;
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
