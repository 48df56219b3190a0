#include "commerce/idempotency_store.h"

#include <sodium.h>

#include <array>

namespace lore {

namespace db = sdk::db;
namespace sh = sdk::http;

namespace {

// 128 random bits as hex: which request holds a claim.
std::string new_owner() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return std::string(hex.data(), 32);
}

}  // namespace

IdempotencyStore::IdempotencyStore(db::Database& database, const sdk::Clock& clock,
                                   std::int64_t stale_after_ms)
    : database_(database), clock_(clock), stale_after_ms_(stale_after_ms) {}

bool IdempotencyStore::acceptable_key(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

IdempotencyStore::Claim IdempotencyStore::claim(std::int64_t user_id, const std::string& route,
                                                const std::string& key,
                                                const std::string& fingerprint) {
  // Its own short transaction: the claim must be visible to a concurrent retry at once.
  const auto owner = new_owner();
  return database_.transact([&](db::Transaction& tx) -> Claim {
    const auto now = clock_.now_ms();
    if (tx.try_insert("INSERT INTO lore_idempotency_keys (user_id, route, idem_key, fingerprint, "
                      "status, response_body, created_at, owner) VALUES (?, ?, ?, ?, 0, '', ?, ?)",
                      {user_id, route, key, fingerprint, now, owner}))
      return {std::nullopt, owner};
    auto row = tx.query_one(
        "SELECT fingerprint, status, response_body, created_at FROM lore_idempotency_keys "
        "WHERE user_id = ? AND route = ? AND idem_key = ?",
        {user_id, route, key});
    if (!row) throw db::Error(db::ErrorKind::conflict, "the idempotency key moved meanwhile");
    if (row->get<std::string>("fingerprint") != fingerprint)
      return {sh::Response::failure(
          422, "idempotency_key_reused",
          "this Idempotency-Key was used with another request; use a new key for a new "
          "request")};
    const auto status = row->get<std::int64_t>("status");
    if (status == 0) {
      // The first request is still running, unless its process died long ago.
      const bool stale = row->get<std::int64_t>("created_at") < now - stale_after_ms_;
      if (stale &&
          tx.execute("UPDATE lore_idempotency_keys SET created_at = ?, owner = ? WHERE user_id = ? "
                     "AND route = ? AND idem_key = ? AND status = 0 AND created_at = ?",
                     {now, owner, user_id, route, key, row->get<std::int64_t>("created_at")}) > 0)
        return {std::nullopt, owner};
      auto busy = sh::Response::failure(
          409, "request_in_progress",
          "a request with this Idempotency-Key is still being processed; retry shortly");
      busy.headers.emplace_back("Retry-After", "1");
      return {busy};
    }
    sh::Response replay;
    replay.status = static_cast<int>(status);
    replay.body = row->get<std::string>("response_body");
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    return {replay};
  });
}

bool IdempotencyStore::finish(std::int64_t user_id, const std::string& route,
                              const std::string& key, const std::string& owner,
                              const sh::Response& response) {
  return database_.session().execute(
             "UPDATE lore_idempotency_keys SET status = ?, response_body = ? WHERE user_id = ? "
             "AND route = ? AND idem_key = ? AND status = 0 AND owner = ?",
             {static_cast<std::int64_t>(response.status), response.body, user_id, route, key,
              owner}) > 0;
}

void IdempotencyStore::release(std::int64_t user_id, const std::string& route,
                               const std::string& key, const std::string& owner) {
  database_.session().execute(
      "DELETE FROM lore_idempotency_keys WHERE user_id = ? AND route = ? AND idem_key = ? AND "
      "status = 0 AND owner = ?",
      {user_id, route, key, owner});
}

std::int64_t IdempotencyStore::prune(std::int64_t before_ms) {
  auto session = database_.session();
  return session.execute("DELETE FROM lore_idempotency_keys WHERE created_at < ?", {before_ms});
}

}  // namespace lore
