// The catalog as a plugin sees it. The kernel owns what is sold (courses, their price and
// state), who may see what (entitlements and the access decision); a course-type plugin owns
// one kind of content (video lessons, column articles, live sessions) and describes it to the
// kernel as items, each with the rules the kernel's access engine applies.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/clock.h"

namespace lore::sdk::courses {

// Money is an integer count of the currency's minor unit (fen, cents) with its ISO 4217 code:
// never a floating-point number.
struct Price {
  std::int64_t amount_minor = 0;
  std::string currency;  // "CNY", "USD"... upper case

  bool free() const noexcept { return amount_minor == 0; }
  bool operator==(const Price&) const = default;
};

struct Course {
  std::int64_t id = 0;
  std::string slug;  // unique, lower case: [a-z0-9-]
  std::string type;  // the course-type provider's name, e.g. "video"
  std::string title;
  std::string summary;
  std::string cover_url;
  std::vector<std::string> tags;  // sorted, unique, lower case
  Price price;
  std::int64_t creator_id = 0;
  std::string status;  // "draft", "published" or "archived"
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t published_at_ms = 0;  // 0: never published

  bool published() const noexcept { return status == "published"; }
  bool archived() const noexcept { return status == "archived"; }
};

// How the API shows a catalog entry (lists, the course page, the library).
inline void to_json(nlohmann::json& out, const Course& c) {
  out = {{"id", c.id},
         {"slug", c.slug},
         {"type", c.type},
         {"title", c.title},
         {"summary", c.summary},
         {"cover_url", c.cover_url},
         {"tags", c.tags},
         {"price", {{"amount_minor", c.price.amount_minor}, {"currency", c.price.currency}}},
         {"creator_id", c.creator_id},
         {"status", c.status},
         {"created_at", rfc3339(c.created_at_ms)},
         {"updated_at", rfc3339(c.updated_at_ms)},
         {"published_at", c.published_at_ms ? nlohmann::json(rfc3339(c.published_at_ms))
                                            : nlohmann::json(nullptr)}};
}

// One unit of gated content (a lesson, an article, a live session) with its release rules.
// Ids are the type's own: stable across edits and unique within the course.
struct Item {
  std::string id;
  std::string title;
  bool free_preview = false;            // open to everyone once released
  std::int64_t release_at_ms = 0;       // 0: no fixed date; otherwise nobody but the creator
                                        // and admins sees it before then
  std::int64_t release_after_days = 0;  // drip: N days after the learner's entitlement began
};

// A user's right to a course. One per (user, course); revoking or expiring keeps the row.
struct Entitlement {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t course_id = 0;
  std::string source;  // "purchase", "grant", "membership"...
  std::int64_t granted_at_ms = 0;
  std::int64_t expires_at_ms = 0;  // 0: never
  std::int64_t revoked_at_ms = 0;  // 0: not revoked

  bool live(std::int64_t now_ms) const noexcept {
    return revoked_at_ms == 0 && (expires_at_ms == 0 || expires_at_ms > now_ms);
  }
};

// Why an item is open or closed to a viewer. Clients switch on the code; the message is for
// people.
enum class Reason {
  // open
  admin,
  creator,
  entitled,
  free_course,
  free_preview,
  // closed
  sign_in_required,     // a paid course, and nobody signed in
  purchase_required,    // signed in, no live entitlement (never had one, or it was revoked)
  entitlement_expired,  // it had one; it ended at `ends_at`
  not_released,         // released at `available_at` (a fixed date or drip)
  not_for_sale,         // archived, and the viewer never bought it
  not_published,        // a draft: only its creator and admins see it
};

constexpr std::string_view to_string(Reason reason) noexcept {
  switch (reason) {
    case Reason::admin: return "admin";
    case Reason::creator: return "creator";
    case Reason::entitled: return "entitled";
    case Reason::free_course: return "free_course";
    case Reason::free_preview: return "free_preview";
    case Reason::sign_in_required: return "sign_in_required";
    case Reason::purchase_required: return "purchase_required";
    case Reason::entitlement_expired: return "entitlement_expired";
    case Reason::not_released: return "not_released";
    case Reason::not_for_sale: return "not_for_sale";
    case Reason::not_published: return "not_published";
  }
  return "not_published";
}

struct Decision {
  bool allowed = false;
  Reason reason = Reason::not_published;
  std::int64_t available_at_ms = 0;  // not_released: when it opens
  std::int64_t ends_at_ms = 0;       // allowed by an expiring entitlement, or entitlement_expired
  std::string message;               // "purchase required", "available on 2026-12-01"
};

inline void to_json(nlohmann::json& out, const Entitlement& e) {
  out = {{"id", e.id},
         {"user_id", e.user_id},
         {"course_id", e.course_id},
         {"source", e.source},
         {"granted_at", rfc3339(e.granted_at_ms)},
         {"expires_at", e.expires_at_ms ? nlohmann::json(rfc3339(e.expires_at_ms)) : nullptr},
         {"revoked_at", e.revoked_at_ms ? nlohmann::json(rfc3339(e.revoked_at_ms)) : nullptr}};
}

inline void to_json(nlohmann::json& out, const Decision& d) {
  out = {{"allowed", d.allowed}, {"reason", to_string(d.reason)}, {"message", d.message}};
  if (d.available_at_ms != 0) out["available_at"] = rfc3339(d.available_at_ms);
  if (d.ends_at_ms != 0) out["ends_at"] = rfc3339(d.ends_at_ms);
}

}  // namespace lore::sdk::courses
