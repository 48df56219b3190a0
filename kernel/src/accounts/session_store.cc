#include "accounts/session_store.h"

#include <sodium.h>

#include <stdexcept>

#include "accounts/account_error.h"
#include "core/sha256.h"
#include "core/utf8.h"

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

}  // namespace

SessionStore::SessionStore(db::Database& database, const sdk::Clock& clock, Options options)
    : database_(database), clock_(clock), options_(options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string SessionStore::hash(std::string_view token) { return sha256_hex(token); }

IssuedSession SessionStore::issue(std::int64_t user_id, std::string_view user_agent,
                                  std::string_view ip, db::Transaction* outer) {
  unsigned char random[32];  // 256 bits from the OS CSPRNG
  randombytes_buf(random, sizeof random);
  char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(random, sizeof random);
  IssuedSession issued;
  issued.token = std::string(kTokenPrefix) + encoded;
  const auto now = clock_.now_ms();
  const auto expires = now + options_.lifetime.count();
  auto& s = issued.session;
  s.user_id = user_id;
  s.created_at_ms = s.last_used_at_ms = now;
  s.expires_at_ms = expires;
  s.user_agent = utf8_clipped(user_agent, 255);
  s.ip = utf8_clipped(ip, 64);
  auto write = [&](db::Transaction& tx) {
    // Locks the user's row on MySQL; on SQLite a suspension committed in between makes this
    // transaction's write fail as a conflict, and it runs again.
    auto status = tx.query_one(
        "SELECT status FROM lore_users WHERE id = ?" + std::string(db::row_lock(tx.dialect())),
        {user_id});
    if (!status || status->get<std::string>("status") != "active")
      throw AccountError(status ? "suspended" : "not_found", "",
                         status ? "this account is suspended" : "no such user");
    s.id = tx.insert(
        "INSERT INTO lore_sessions (token_hash, user_id, created_at, last_used_at, expires_at, "
        "user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {hash(issued.token), user_id, now, now, expires, s.user_agent, s.ip});
  };
  if (outer != nullptr)
    write(*outer);
  else
    database_.transact(write);
  return issued;
}

bool SessionStore::still_as_seen(std::int64_t session_id, std::int64_t user_id,
                                 const std::vector<std::string>& roles) {
  auto row = database_.session().query_one(
      "SELECT s.id AS id FROM lore_sessions s JOIN lore_users u ON u.id = s.user_id WHERE s.id = "
      "? AND s.user_id = ? AND s.revoked_at IS NULL AND u.status = 'active'",
      {session_id, user_id});
  return row && roles_of(user_id) == roles;
}

std::optional<SessionRecord> SessionStore::validate(std::string_view token) {
  if (token.size() < kTokenPrefix.size() + 43 || token.size() > 128 ||
      token.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return std::nullopt;
  const auto now = clock_.now_ms();
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
             {clock_.now_ms(), session_id, user_id, clock_.now_ms()}) == 1;
}

std::int64_t SessionStore::revoke_all(std::int64_t user_id, std::int64_t keep) {
  const auto now = clock_.now_ms();
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
           {user_id, clock_.now_ms()}))
    out.push_back(record_of(row));
  return out;
}

std::vector<std::string> SessionStore::live_hashes(std::int64_t user_id) {
  std::vector<std::string> out;
  for (const auto& row : database_.session().query(
           "SELECT token_hash FROM lore_sessions WHERE user_id = ? AND revoked_at IS NULL AND "
           "expires_at > ?",
           {user_id, clock_.now_ms()}))
    out.push_back(row.get<std::string>("token_hash"));
  return out;
}

std::optional<std::string> SessionStore::hash_of(std::int64_t session_id, std::int64_t user_id) {
  auto row = database_.session().query_one(
      "SELECT token_hash FROM lore_sessions WHERE id = ? AND user_id = ?", {session_id, user_id});
  if (!row) return std::nullopt;
  return row->get<std::string>("token_hash");
}

std::vector<std::string> SessionStore::roles_of(std::int64_t user_id) {
  std::vector<std::string> roles;
  for (const auto& row : database_.session().query(
           "SELECT role FROM lore_user_roles WHERE user_id = ? ORDER BY role", {user_id}))
    roles.push_back(row.get<std::string>("role"));
  return roles;
}

std::optional<std::int64_t> SessionStore::owner_of(std::int64_t session_id) {
  auto row =
      database_.session().query_one("SELECT user_id FROM lore_sessions WHERE id = ?", {session_id});
  if (!row) return std::nullopt;
  return row->get<std::int64_t>("user_id");
}

}  // namespace lore
