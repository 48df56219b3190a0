// Accounts as a plugin sees them. The kernel owns users, roles and sessions; an auth plugin
// proves who someone is (a password, a code, an identity provider) and then asks the kernel to
// create the user or to sign them in. Every call here fires the matching hook (user.registered,
// user.login, user.login_failed), so the events mean the same whatever the method.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/http.h"

namespace lore::sdk::accounts {

struct User {
  std::int64_t id = 0;
  std::string email;  // as entered; compared case-insensitively
  std::string display_name;
  std::vector<std::string> roles;  // sorted: "admin", "creator", "learner"
  std::string status;              // "active" or "suspended"
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;

  bool has_role(std::string_view role) const {
    for (const auto& r : roles)
      if (r == role) return true;
    return false;
  }
};

// How the API shows a user (the same everywhere: /me, sign-up, admin lists).
inline void to_json(nlohmann::json& out, const User& user) {
  out = {{"id", user.id},
         {"email", user.email},
         {"display_name", user.display_name},
         {"roles", user.roles},
         {"status", user.status},
         {"created_at", rfc3339(user.created_at_ms)},
         {"updated_at", rfc3339(user.updated_at_ms)}};
}

// A sign-up, as an auth method hands it to the kernel.
struct Registration {
  std::string email;
  std::string display_name;
  std::vector<std::string> roles{"learner"};
  std::string method;   // the auth method signing them up, e.g. "password"
  nlohmann::json data;  // the rest of the request, for registration.validate listeners
  // Problems the method found already (e.g. a weak password): reported together with the
  // kernel's and the validators' in one 400, and nothing is written.
  std::vector<http::FieldError> errors;
};

struct Session {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t last_used_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::string user_agent;
  std::string ip;
};

inline void to_json(nlohmann::json& out, const Session& session) {
  out = {{"id", session.id},
         {"created_at", rfc3339(session.created_at_ms)},
         {"last_used_at", rfc3339(session.last_used_at_ms)},
         {"expires_at", rfc3339(session.expires_at_ms)},
         {"user_agent", session.user_agent},
         {"ip", session.ip}};
}

struct IssuedSession {
  std::string token;  // give it to the client; it is not stored and cannot be shown again
  Session session;
};

// Where a sign-in attempt came from.
struct Origin {
  std::string ip;
  std::string user_agent;

  static Origin of(const http::Request& request) {
    const std::string* agent = request.header("user-agent");
    return {request.remote_address, agent ? *agent : std::string{}};
  }
};

// Why an account call was refused: the HTTP answer it deserves.
struct Failure {
  int status = 500;
  std::string code;
  std::string message;
  std::vector<http::FieldError> fields;
  // A concurrent change got in the way: the caller's transaction should run again.
  bool retry = false;

  // Thrown on the plugin's side: a retryable failure as db::Error(conflict), so that
  // Database::transact runs the transaction again; anything else as the HTTP answer.
  [[noreturn]] void raise() const {
    if (retry) throw db::Error(db::ErrorKind::conflict, message);
    throw error();
  }
  http::Error error() const {
    return http::Error(
        status, code, message,
        fields.empty() ? nlohmann::json(nullptr) : http::field_errors_details(fields));
  }
};

class Accounts {
 public:
  virtual ~Accounts() = default;

  // --- erased interface, implemented by the kernel; never throws ------------------------------
  virtual std::optional<Failure> check_registration_erased(
      const Registration& registration) noexcept = 0;
  virtual std::optional<Failure> register_user_erased(const Registration& registration,
                                                      db::Transaction* tx, User& out) noexcept = 0;
  virtual std::optional<Failure> find_user_erased(std::int64_t id,
                                                  std::optional<User>& out) noexcept = 0;
  virtual std::optional<Failure> find_user_by_email_erased(std::string_view email,
                                                           std::optional<User>& out) noexcept = 0;
  virtual std::optional<Failure> sign_in_erased(std::int64_t user_id, std::string_view method,
                                                const Origin& origin, db::Transaction* tx,
                                                IssuedSession& out) noexcept = 0;
  virtual void sign_in_failed(std::string_view email, std::string_view method,
                              std::string_view reason, const Origin& origin) noexcept = 0;
  virtual std::optional<Failure> revoke_sessions_erased(std::int64_t user_id,
                                                        std::int64_t keep_session_id,
                                                        std::int64_t& revoked) noexcept = 0;

  // --- typed interface: throws http::Error (answered as its status by a route) --------------
  //
  // Checks a sign-up as register_user would (the kernel's rules, then registration.validate
  // listeners) and writes nothing: 400 with every field at fault, including registration.errors.
  void check_registration(const Registration& registration) {
    if (auto failure = check_registration_erased(registration)) failure->raise();
  }
  // Validates (email, display name, roles, then registration.validate listeners) and stores the
  // user. Inside `tx` when given, so the method can store its credential in the same
  // transaction; user.registered fires after that transaction commits. 400 with every field at
  // fault, 409 duplicate_email.
  User register_user(const Registration& registration, db::Transaction* tx = nullptr) {
    User user;
    if (auto failure = register_user_erased(registration, tx, user)) failure->raise();
    return user;
  }
  std::optional<User> find_user(std::int64_t id) {
    std::optional<User> user;
    if (auto failure = find_user_erased(id, user)) failure->raise();
    return user;
  }
  // By email, case-insensitively; nullopt also for a malformed address.
  std::optional<User> find_user_by_email(std::string_view email) {
    std::optional<User> user;
    if (auto failure = find_user_by_email_erased(email, user)) failure->raise();
    return user;
  }
  // A new session for a user the method has authenticated; fires user.login (after `tx`
  // commits, when given). 403 suspended. Pass the transaction in which the method re-read the
  // credential it checked, so that a concurrent password change cannot slip in between.
  IssuedSession sign_in(std::int64_t user_id, std::string_view method, const Origin& origin,
                        db::Transaction* tx = nullptr) {
    IssuedSession issued;
    if (auto failure = sign_in_erased(user_id, method, origin, tx, issued)) failure->raise();
    return issued;
  }
  // Revokes every live session of the user but `keep_session_id` (0: all); returns how many.
  std::int64_t revoke_sessions(std::int64_t user_id, std::int64_t keep_session_id = 0) {
    std::int64_t revoked = 0;
    if (auto failure = revoke_sessions_erased(user_id, keep_session_id, revoked)) failure->raise();
    return revoked;
  }
};

}  // namespace lore::sdk::accounts
