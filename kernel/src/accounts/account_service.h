// The kernel's accounts: users, roles and sessions behind one object that keeps the caches
// honest (a role change, a suspension or a revocation forgets the cached sessions it affects)
// and fires the account hooks. Plugins reach it as sdk::accounts::Accounts.
#pragma once

#include <memory>

#include "accounts/authenticator.h"
#include "accounts/session_cache.h"
#include "accounts/session_store.h"
#include "accounts/user_store.h"
#include "config/kernel_config.h"
#include "core/service_registry.h"
#include "hooks/hook_bus.h"
#include "lore/sdk/accounts.h"

namespace lore {

class AccountService final : public sdk::accounts::Accounts {
 public:
  // `shared_cache`: whether `cache` is seen by other processes (Redis). When it is not, the
  // session cache keeps nothing longer than auth.session_cache_ms, the promised bound on how
  // long another process may trust a revoked session.
  AccountService(sdk::db::Database& database, const sdk::Clock& clock, sdk::Cache& cache,
                 bool shared_cache, HookBus& hooks, const ServiceRegistry& services,
                 const AuthConfig& config, std::shared_ptr<spdlog::logger> log);

  // --- sdk::accounts::Accounts --------------------------------------------------------------
  std::optional<sdk::accounts::Failure> check_registration_erased(
      const sdk::accounts::Registration& registration) noexcept override;
  std::optional<sdk::accounts::Failure> register_user_erased(
      const sdk::accounts::Registration& registration, sdk::db::Transaction* tx,
      User& out) noexcept override;
  std::optional<sdk::accounts::Failure> find_user_erased(
      std::int64_t id, std::optional<User>& out) noexcept override;
  std::optional<sdk::accounts::Failure> find_user_by_email_erased(
      std::string_view email, std::optional<User>& out) noexcept override;
  std::optional<sdk::accounts::Failure> sign_in_erased(std::int64_t user_id,
                                                       std::string_view method,
                                                       const sdk::accounts::Origin& origin,
                                                       sdk::db::Transaction* tx,
                                                       IssuedSession& out) noexcept override;
  void sign_in_failed(std::string_view email, std::string_view method, std::string_view reason,
                      const sdk::accounts::Origin& origin) noexcept override;
  std::optional<sdk::accounts::Failure> revoke_sessions_erased(
      std::int64_t user_id, std::int64_t keep_session_id, std::int64_t& revoked) noexcept override;

  // --- the kernel's own uses (throw AccountError or db::Error) ------------------------------
  UserStore& users() noexcept { return users_; }
  SessionStore& sessions() noexcept { return sessions_; }
  const RequestAuthenticator& authenticator() const noexcept { return authenticator_; }

  User set_roles(std::int64_t user_id, const std::vector<std::string>& roles);
  User set_status(std::int64_t user_id, std::string_view status);
  // Ends one of the user's sessions; false when it is not theirs or already ended.
  bool revoke_session(std::int64_t session_id, std::int64_t user_id);
  std::int64_t revoke_all(std::int64_t user_id, std::int64_t keep_session_id);

 private:
  // Runs `body`, turning what it throws into the Failure a client should see.
  template <class F>
  std::optional<sdk::accounts::Failure> guarded(const char* what, F&& body) noexcept;
  void forget_sessions_of(std::int64_t user_id);
  // Fires user.changed, so that plugins drop what they cache about the user.
  void announce_change(const User& user, std::string change) noexcept;
  // The registration as validators leave it; throws AccountError with every field at fault.
  sdk::accounts::Registration checked(const sdk::accounts::Registration& registration);

  HookBus& hooks_;
  std::shared_ptr<spdlog::logger> log_;
  UserStore users_;
  SessionStore sessions_;
  SessionCache cache_;
  Authenticator authenticator_;
};

}  // namespace lore
