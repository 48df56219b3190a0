// The one place that decides whether a viewer may open an item of a course: every content
// request, whatever the course type, asks here. The decision carries a reason code and, for
// what opens later, the time it opens, so clients can say "available on 2026-12-01" instead of
// "forbidden".
//
// The rules, first match wins:
//   1. admins, and the course's creator, see everything, released or not;
//   2. a draft is closed to everyone else;
//   3. an item with a fixed release date is closed to everyone until then;
//   4. a free-preview item is open (to a buyer as "entitled", to others as "free_preview");
//   5. a free course is open; a paid one needs a live entitlement (signed in, not revoked, not
//      expired); an archived paid course is no longer sold, so only its buyers see it;
//   6. drip: an item released N days after the entitlement began (for a free course without
//      one, after the course was published) is closed until then.
#pragma once

#include <cstdint>
#include <optional>

#include "lore/sdk/courses.h"
#include "lore/sdk/http.h"

namespace lore {

struct AccessQuery {
  const sdk::courses::Course& course;
  const sdk::courses::Item& item;
  const sdk::http::Principal* viewer = nullptr;            // null: anonymous
  const sdk::courses::Entitlement* entitlement = nullptr;  // the viewer's, even if ended
  std::int64_t now_ms = 0;
};

sdk::courses::Decision decide_access(const AccessQuery& query);

// "2026-12-01" (UTC): how a release date is said to people.
std::string calendar_date(std::int64_t epoch_ms);

}  // namespace lore
