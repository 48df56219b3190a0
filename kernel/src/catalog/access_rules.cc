#include "catalog/access_rules.h"

#include <ctime>

namespace lore {

namespace courses = sdk::courses;
using courses::Decision;
using courses::Reason;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

Decision open(Reason reason, std::string message, std::int64_t ends_at_ms = 0) {
  return {true, reason, 0, ends_at_ms, std::move(message)};
}

Decision closed(Reason reason, std::string message, std::int64_t available_at_ms = 0,
                std::int64_t ends_at_ms = 0) {
  return {false, reason, available_at_ms, ends_at_ms, std::move(message)};
}

Decision not_before(std::int64_t at_ms) {
  return closed(Reason::not_released, "available on " + calendar_date(at_ms), at_ms);
}

}  // namespace

std::string calendar_date(std::int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

Decision decide_access(const AccessQuery& q) {
  const auto& course = q.course;
  const auto& item = q.item;
  if (q.viewer != nullptr) {
    if (q.viewer->has_role("admin")) return open(Reason::admin, "admins see every course");
    if (q.viewer->user_id == course.creator_id)
      return open(Reason::creator, "creators see their own courses");
  }
  if (!course.published() && !course.archived())
    return closed(Reason::not_published, "this course is not published");
  if (item.release_at_ms > q.now_ms) return not_before(item.release_at_ms);

  const auto* entitlement = q.viewer != nullptr ? q.entitlement : nullptr;
  const bool live = entitlement != nullptr && entitlement->live(q.now_ms);
  // A preview is open to all and ignores drip; a buyer still hears "entitled", so that a type
  // can keep buyers' privileges (a live session's seat) from preview readers.
  if (item.free_preview)
    return live ? open(Reason::entitled, "yours", entitlement->expires_at_ms)
                : open(Reason::free_preview, "free preview");
  std::int64_t drip_from = 0;
  Decision verdict;
  if (live) {
    drip_from = entitlement->granted_at_ms;
    verdict = open(Reason::entitled, "yours", entitlement->expires_at_ms);
  } else if (course.price.free()) {
    drip_from = course.published_at_ms;
    verdict = open(Reason::free_course, "free course");
  } else if (q.viewer == nullptr) {
    return closed(Reason::sign_in_required, "sign in to continue");
  } else if (entitlement != nullptr && entitlement->revoked_at_ms == 0) {
    // Not revoked, so it ran out.
    return closed(Reason::entitlement_expired,
                  "your access ended on " + calendar_date(entitlement->expires_at_ms), 0,
                  entitlement->expires_at_ms);
  } else if (course.archived()) {
    return closed(Reason::not_for_sale, "this course is no longer sold");
  } else {
    return closed(Reason::purchase_required, "purchase required");
  }

  if (item.release_after_days > 0) {
    const auto at = drip_from + item.release_after_days * kDayMs;
    if (at > q.now_ms) {
      auto later = not_before(at);
      later.ends_at_ms = verdict.ends_at_ms;
      return later;
    }
  }
  return verdict;
}

}  // namespace lore
