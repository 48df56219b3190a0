#include "catalog/entitlement_store.h"

#include <algorithm>

namespace lore {

namespace db = sdk::db;

namespace {

constexpr const char* kColumns =
    "id, user_id, course_id, source, granted_at, expires_at, revoked_at";

Entitlement entitlement_of(const db::Row& row) {
  return {row.get<std::int64_t>("id"),
          row.get<std::int64_t>("user_id"),
          row.get<std::int64_t>("course_id"),
          row.get<std::string>("source"),
          row.get<std::int64_t>("granted_at"),
          row.get_optional<std::int64_t>("expires_at").value_or(0),
          row.get_optional<std::int64_t>("revoked_at").value_or(0)};
}

db::Value optional_time(std::int64_t ms) { return ms == 0 ? db::Value() : db::Value(ms); }

// The later of two expiries, where 0 is "never".
std::int64_t later_expiry(std::int64_t a, std::int64_t b) {
  if (a == 0 || b == 0) return 0;
  return std::max(a, b);
}

// The (user, course) entitlement through a session or within a transaction (`lock`: " FOR
// UPDATE" to hold the row on MySQL).
template <class Reader>
std::optional<Entitlement> load(Reader& reader, std::int64_t user_id, std::int64_t course_id,
                                std::string_view lock = "") {
  auto row = reader.query_one(std::string("SELECT ") + kColumns +
                                  " FROM lore_entitlements WHERE user_id = ? AND course_id = ?" +
                                  std::string(lock),
                              {user_id, course_id});
  if (!row) return std::nullopt;
  return entitlement_of(*row);
}

}  // namespace

EntitlementStore::EntitlementStore(db::Database& database, const sdk::Clock& clock)
    : database_(database), clock_(clock) {}

std::pair<Entitlement, bool> EntitlementStore::grant(db::Transaction& tx, const Grant& g) {
  const auto now = clock_.now_ms();
  const auto found = load(tx, g.user_id, g.course_id, db::row_lock(tx.dialect()));
  if (!found) {
    // Two grants racing for a new row: the loser's insert finds the key taken, and the
    // transaction runs again (Database::transact retries conflicts) to take the update path.
    if (!tx.try_insert("INSERT INTO lore_entitlements (user_id, course_id, source, granted_by, "
                       "granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                       {g.user_id, g.course_id, g.source, optional_time(g.granted_by), now,
                        optional_time(g.expires_at_ms)}))
      throw db::Error(db::ErrorKind::conflict, "a concurrent grant created the entitlement");
    tx.execute("UPDATE lore_courses SET learners = learners + 1 WHERE id = ?", {g.course_id});
    return {*load(tx, g.user_id, g.course_id), true};
  }
  const auto& current = *found;
  const bool was_live = current.live(now);
  if (!was_live) {
    // Revoked or run out: it starts again now, from whoever grants it this time.
    tx.execute(
        "UPDATE lore_entitlements SET source = ?, granted_by = ?, granted_at = ?, expires_at = ?, "
        "revoked_at = NULL WHERE id = ?",
        {g.source, optional_time(g.granted_by), now, optional_time(g.expires_at_ms), current.id});
    // learners counts entitlements that are not revoked: an expired one was still counted.
    if (current.revoked_at_ms != 0)
      tx.execute("UPDATE lore_courses SET learners = learners + 1 WHERE id = ?", {g.course_id});
  } else {
    // Live: the start stays (drip counts from it), the end moves out if it can.
    tx.execute("UPDATE lore_entitlements SET expires_at = ? WHERE id = ?",
               {optional_time(later_expiry(current.expires_at_ms, g.expires_at_ms)), current.id});
  }
  return {*load(tx, g.user_id, g.course_id), !was_live};
}

bool EntitlementStore::revoke(db::Transaction& tx, std::int64_t user_id, std::int64_t course_id) {
  const bool revoked =
      tx.execute(
          "UPDATE lore_entitlements SET revoked_at = ? WHERE user_id = ? AND course_id = ? "
          "AND revoked_at IS NULL",
          {clock_.now_ms(), user_id, course_id}) > 0;
  if (revoked)
    tx.execute("UPDATE lore_courses SET learners = learners - 1 WHERE id = ? AND learners > 0",
               {course_id});
  return revoked;
}

std::optional<Entitlement> EntitlementStore::find(std::int64_t user_id, std::int64_t course_id) {
  auto session = database_.session();
  return load(session, user_id, course_id);
}

std::optional<Entitlement> EntitlementStore::find(db::Transaction& tx, std::int64_t user_id,
                                                  std::int64_t course_id) {
  return load(tx, user_id, course_id);
}

std::vector<Entitlement> EntitlementStore::of_user(std::int64_t user_id) {
  std::vector<Entitlement> out;
  for (const auto& row : database_.session().query(
           std::string("SELECT ") + kColumns +
               " FROM lore_entitlements WHERE user_id = ? AND revoked_at IS NULL "
               "ORDER BY granted_at DESC, id DESC",
           {user_id}))
    out.push_back(entitlement_of(row));
  return out;
}

}  // namespace lore
