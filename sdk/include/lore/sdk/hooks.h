// The hooks the kernel declares and fires. Subscribe with `ctx.hooks().on(hooks::x, ...)`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lore/sdk/accounts.h"
#include "lore/sdk/courses.h"
#include "lore/sdk/hook_bus.h"
#include "lore/sdk/payments.h"

namespace lore::sdk {

struct KernelStarted {
  std::string version;
  std::vector<std::string> running_plugins;
};

struct PluginLifecycleEvent {
  std::string name;
  std::string version;
};

struct ReadinessCheck {
  std::string name;
  bool ok = true;
  std::string detail;
};
using ReadinessReport = std::vector<ReadinessCheck>;

struct UserRegistered {
  accounts::User user;
  std::string method;  // the auth method that signed them up, e.g. "password"
};

struct UserLogin {
  accounts::User user;
  std::string method;
  std::int64_t session_id = 0;
  accounts::Origin origin;
};

struct UserChanged {
  accounts::User user;  // as it is now
  std::string change;   // "roles" or "status"
};

struct LoginFailed {
  std::string email;  // as given; it may belong to nobody
  std::string method;
  std::string reason;  // sdk::auth::Reason as text: unknown_user, wrong_secret, rate_limited...
  accounts::Origin origin;
};

struct CoursePublished {
  courses::Course course;
};

// A learner's first completion of an item (lesson, article, session) of a course.
struct ItemCompleted {
  courses::Course course;
  std::string item_id;
  std::int64_t user_id = 0;
};

struct CourseCompleted {
  courses::Course course;
  std::int64_t user_id = 0;
};

struct ProgressUpdated {
  courses::Course course;
  std::string item_id;
  std::int64_t user_id = 0;
  double course_fraction = 0;  // 0 to 1, as the course type counts it
};

// An order's money arrived and the course was granted (one transaction).
struct OrderPaid {
  payments::Order order;
};

// An order's money went back in full (one refund or several) and the course was taken back,
// unless another purchase or a grant still gives it to the buyer (one transaction).
struct OrderRefunded {
  payments::Order order;        // status "refunded"
  courses::Price last_refund;   // the refund that completed it
  bool access_revoked = false;  // whether the buyer lost the course by it
};

// A user was given a course: by a purchase, an admin's grant, a membership...
struct EntitlementGranted {
  courses::Entitlement entitlement;
  std::int64_t order_id = 0;  // the purchase that granted it; 0 for anything else
};

namespace hooks {

inline constexpr Action<KernelStarted> kernel_started{
    "kernel.started", "After the HTTP server listens and all enabled plugins have started."};
inline constexpr Action<PluginLifecycleEvent> plugin_started{
    "plugin.started", "After a plugin started (at boot or when enabled at run time)."};
inline constexpr Action<PluginLifecycleEvent> plugin_stopped{
    "plugin.stopped", "After a plugin stopped and its registrations were removed."};
inline constexpr Filter<ReadinessReport> readiness{
    "health.readiness", "Checks reported by GET /readyz; any failing check answers 503."};
inline constexpr Filter<nlohmann::json> openapi_document{
    "openapi.document", "The OpenAPI document served at /api/v1/openapi.json."};

inline constexpr Action<UserRegistered> user_registered{
    "user.registered", "After a new user's transaction committed (any auth method)."};
inline constexpr Action<UserLogin> user_login{
    "user.login", "After a user signed in and their session was stored."};
inline constexpr Action<LoginFailed> user_login_failed{
    "user.login_failed",
    "After a sign-in was refused (unknown user, wrong secret, suspended, rate limited)."};
inline constexpr Action<UserChanged> user_changed{
    "user.changed",
    "After an admin's change to a user's roles or status committed. The kernel has forgotten the "
    "user's cached sessions already; drop whatever else you cache about the user (credentials)."};
inline constexpr Filter<accounts::Registration> registration_validate{
    "registration.validate",
    "Before a user is stored: add to `errors` to refuse the sign-up with a 400 naming the field; "
    "listeners may also normalise `display_name`."};

inline constexpr Action<CoursePublished> course_published{
    "course.published", "After a course moved to published (first time or again) and committed."};
inline constexpr Action<ItemCompleted> lesson_completed{
    "lesson.completed",
    "After a learner completed an item of a course for the first time (fired once per learner "
    "and item, whatever the course type calls its items)."};
inline constexpr Action<CourseCompleted> course_completed{
    "course.completed", "After a learner completed a whole course, once per learner and course."};
inline constexpr Action<ProgressUpdated> progress_updated{
    "progress.updated", "After a learner's progress on an item was recorded."};

inline constexpr Action<OrderPaid> order_paid{
    "order.paid",
    "After an order's payment was recorded and its course granted (committed together); once "
    "per order, however often the provider reports it; a free course's order fires it too. "
    "Consumers that must never miss one "
    "read the orders table (or, later, the outbox): a crash between commit and hook skips it."};
inline constexpr Action<OrderRefunded> order_refunded{
    "order.refunded",
    "After an order was refunded in full and that was committed with the course's revocation and "
    "the ledger's reversing entries; once per order, whoever asked (the buyer, an admin, the "
    "provider's own dashboard). Partial refunds do not fire it."};
inline constexpr Action<EntitlementGranted> entitlement_granted{
    "entitlement.granted",
    "After a user was given a course (a purchase or an admin's grant) and it committed; not "
    "fired when the grant only extended a live entitlement."};

}  // namespace hooks
}  // namespace lore::sdk
