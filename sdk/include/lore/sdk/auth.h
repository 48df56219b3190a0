// The two kinds of service an auth plugin provides (see Services):
//  - AuthMethod: credentials in, a user out, or a reason code. The password plugin is one; an
//    SSO or one-time-code plugin would be another. Other plugins (a theme's login form, a
//    second factor) find methods by name instead of calling the plugin.
//  - TokenVerifier: recognises bearer credentials other than the kernel's sessions (API keys)
//    by their prefix and says whom they stand for and with which scopes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "lore/sdk/accounts.h"
#include "lore/sdk/http.h"

namespace lore::sdk::auth {

// Why credentials were not accepted. Clients see only the coarse outcome (401 invalid
// credentials, 429, 403): telling "no such user" from "wrong secret" would let anyone probe
// which emails have accounts.
enum class Reason {
  accepted,
  invalid_input,  // malformed credentials (missing fields, wrong types)
  unknown_user,
  wrong_secret,
  suspended,
  rate_limited,
  unavailable,  // the method cannot decide now (database or cache down)
};

constexpr std::string_view to_string(Reason reason) noexcept {
  switch (reason) {
    case Reason::accepted: return "accepted";
    case Reason::invalid_input: return "invalid_input";
    case Reason::unknown_user: return "unknown_user";
    case Reason::wrong_secret: return "wrong_secret";
    case Reason::suspended: return "suspended";
    case Reason::rate_limited: return "rate_limited";
    case Reason::unavailable: return "unavailable";
  }
  return "unavailable";
}

struct Verdict {
  Reason reason = Reason::unavailable;
  std::optional<accounts::User> user;  // set when accepted
  int retry_after_s = 0;               // for rate_limited
  std::string detail;                  // for logs, never for clients
};

class AuthMethod {
 public:
  static constexpr std::string_view kServiceKind = "auth.method";
  virtual ~AuthMethod() = default;
  // Checks `credentials` (method-specific JSON, e.g. {"email","password"}). Fires
  // user.login_failed when it refuses someone (unknown_user, wrong_secret, suspended,
  // rate_limited), not for malformed input or an outage; does not sign in (call
  // Accounts::sign_in for a session).
  virtual Verdict authenticate(const nlohmann::json& credentials,
                               const accounts::Origin& origin) noexcept = 0;
};

struct TokenCheck {
  enum class Outcome { valid, invalid, unavailable };
  Outcome outcome = Outcome::invalid;
  http::Principal principal;  // set when valid; `via` names the verifier
};

class TokenVerifier {
 public:
  static constexpr std::string_view kServiceKind = "auth.token";
  virtual ~TokenVerifier() = default;
  // Tokens starting with this prefix are this verifier's (e.g. "lore_key_"); the kernel's
  // sessions use "lore_" followed by 43 base64url characters. The kernel sets the principal's
  // `via` to the name the verifier was provided under (never "session", which is refused).
  virtual std::string_view prefix() const noexcept = 0;
  virtual TokenCheck verify(std::string_view token) noexcept = 0;
};

}  // namespace lore::sdk::auth
