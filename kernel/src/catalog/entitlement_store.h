// Entitlements (lore_entitlements): who may open which course, from when, until when. One row
// per (user, course) for its whole life: revoking keeps it, granting again revives it. Grants
// from an admin now and from purchases later go through grant(), in the caller's transaction,
// so an order and the access it pays for commit together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/courses.h"
#include "lore/sdk/database.h"

namespace lore {

using Entitlement = sdk::courses::Entitlement;

struct Grant {
  std::int64_t user_id = 0;
  std::int64_t course_id = 0;
  std::string source = "grant";    // "grant", "purchase", "membership"...
  std::int64_t expires_at_ms = 0;  // 0: never
  std::int64_t granted_by = 0;     // 0: not a person (a purchase)
};

class EntitlementStore {
 public:
  EntitlementStore(sdk::db::Database& database, const sdk::Clock& clock);

  // Makes the user's entitlement live. A live one keeps its start (drip counts from it) and
  // gets the later of the two expiries; a revoked or expired one starts again now with this
  // grant's source and expiry. Keeps the course's learner count (entitlements not revoked).
  // Returns the entitlement and whether it was not live before.
  std::pair<Entitlement, bool> grant(sdk::db::Transaction& tx, const Grant& grant);
  // Revokes the entitlement (live or expired); false when there is none or it is revoked.
  bool revoke(sdk::db::Transaction& tx, std::int64_t user_id, std::int64_t course_id);

  std::optional<Entitlement> find(std::int64_t user_id, std::int64_t course_id);
  // The same inside the caller's transaction (no second connection).
  std::optional<Entitlement> find(sdk::db::Transaction& tx, std::int64_t user_id,
                                  std::int64_t course_id);
  // The user's entitlements that are not revoked (expired ones included: the library shows
  // them as ended), newest first.
  std::vector<Entitlement> of_user(std::int64_t user_id);

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
