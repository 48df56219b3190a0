// Bearer tokens to principals. The kernel's own sessions ("lore_" and 43 base64url characters)
// are looked up through the session cache, then the database; any other token goes to the
// plugin whose TokenVerifier claims its prefix (API keys).
#pragma once

#include <memory>

#include "accounts/session_cache.h"
#include "accounts/session_store.h"
#include "core/service_registry.h"
#include "http/request_authenticator.h"

namespace spdlog {
class logger;
}

namespace lore {

class Authenticator final : public RequestAuthenticator {
 public:
  Authenticator(SessionStore& sessions, SessionCache& cache, const ServiceRegistry& services,
                const sdk::Clock& clock, std::shared_ptr<spdlog::logger> log);

  Authentication authenticate(std::string_view bearer_token) const noexcept override;

  static bool is_session_token(std::string_view token) noexcept;

 private:
  Authentication session(std::string_view token) const;
  Authentication session_after_change(std::string_view token) const;
  Authentication verified_elsewhere(std::string_view token) const;

  SessionStore& sessions_;
  SessionCache& cache_;
  const ServiceRegistry& services_;
  const sdk::Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace lore
