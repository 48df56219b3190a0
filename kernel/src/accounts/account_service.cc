#include "accounts/account_service.h"

#include <spdlog/spdlog.h>

#include "accounts/account_error.h"
#include "lore/sdk/handler_guard.h"
#include "lore/sdk/hooks.h"

namespace lore {

namespace db = sdk::db;
namespace accounts = sdk::accounts;

AccountService::AccountService(db::Database& database, const sdk::Clock& clock, sdk::Cache& cache,
                               bool shared_cache, HookBus& hooks, const ServiceRegistry& services,
                               const AuthConfig& config, std::shared_ptr<spdlog::logger> log)
    : hooks_(hooks),
      log_(std::move(log)),
      users_(database, clock),
      sessions_(database, clock,
                SessionStore::Options{std::chrono::hours(config.session_lifetime_hours),
                                      std::chrono::minutes(config.session_slide_minutes)}),
      cache_(
          cache, clock,
          SessionCache::Options{std::chrono::milliseconds(config.session_cache_ms),
                                shared_cache ? std::chrono::milliseconds(60000)
                                             : std::chrono::milliseconds(config.session_cache_ms),
                                100000}),
      authenticator_(sessions_, cache_, services, clock, log_) {}

template <class F>
std::optional<accounts::Failure> AccountService::guarded(const char* what, F&& body) noexcept {
  try {
    body();
    return std::nullopt;
  } catch (const AccountError& e) {
    return accounts::Failure{e.status(), e.code(), e.what(), e.fields()};
  } catch (const sdk::http::Error& e) {
    return accounts::Failure{e.status(), e.code(), e.what(), {}};
  } catch (const db::Error& e) {
    // Answered as a route would answer it; a conflict is marked so that the caller's
    // transaction runs again.
    auto answer = sdk::detail::database_failure(e);
    if (answer.status >= 500 && answer.status != 503) log_->error("{} failed: {}", what, e.what());
    return accounts::Failure{answer.status,
                             answer.error->code,
                             answer.error->message,
                             {},
                             e.kind() == db::ErrorKind::conflict};
  } catch (const std::exception& e) {
    log_->error("{} failed: {}", what, e.what());
  } catch (...) {
    log_->error("{} failed", what);
  }
  return accounts::Failure{500, "internal", "internal error", {}};
}

accounts::Registration AccountService::checked(const accounts::Registration& registration) {
  accounts::Registration checked = registration;
  auto own = UserStore::check({checked.email, checked.display_name, checked.roles});
  checked.errors.insert(checked.errors.end(), own.begin(), own.end());
  const auto found = checked.errors;
  checked = hooks_.apply(sdk::hooks::registration_validate, std::move(checked));
  // Validators add problems; they cannot take one away (a listener that returns a fresh
  // Registration would otherwise let a refused sign-up through).
  auto errors = found;
  for (const auto& e : checked.errors) {
    bool known = false;
    for (const auto& f : found) known = known || (f.field == e.field && f.code == e.code);
    if (!known) errors.push_back(e);
  }
  if (!errors.empty()) throw AccountError(std::move(errors));
  return checked;
}

std::optional<accounts::Failure> AccountService::check_registration_erased(
    const accounts::Registration& registration) noexcept {
  return guarded("checking a registration", [&] { checked(registration); });
}

std::optional<accounts::Failure> AccountService::register_user_erased(
    const accounts::Registration& registration, db::Transaction* tx, User& out) noexcept {
  return guarded("registering a user", [&] {
    const auto valid = checked(registration);
    // Validators may normalise the display name; they cannot change the email or grant roles.
    out = users_.create({registration.email, valid.display_name, registration.roles}, tx);
    auto fire = [this, user = out, method = registration.method] {
      hooks_.fire(sdk::hooks::user_registered, sdk::UserRegistered{user, method});
    };
    if (tx != nullptr)
      tx->after_commit(std::move(fire));
    else
      fire();
  });
}

std::optional<accounts::Failure> AccountService::find_user_erased(
    std::int64_t id, std::optional<User>& out) noexcept {
  return guarded("finding a user", [&] { out = users_.find(id); });
}

std::optional<accounts::Failure> AccountService::find_user_by_email_erased(
    std::string_view email, std::optional<User>& out) noexcept {
  return guarded("finding a user", [&] { out = users_.find_by_email(email); });
}

std::optional<accounts::Failure> AccountService::sign_in_erased(std::int64_t user_id,
                                                                std::string_view method,
                                                                const accounts::Origin& origin,
                                                                db::Transaction* tx,
                                                                IssuedSession& out) noexcept {
  return guarded("signing in", [&] {
    out = sessions_.issue(user_id, origin.user_agent, origin.ip, tx);
    auto user = tx != nullptr ? users_.find(user_id, *tx) : users_.find(user_id);
    if (!user) return;
    auto fire = [this, login = sdk::UserLogin{*user, std::string(method), out.session.id, origin}] {
      hooks_.fire(sdk::hooks::user_login, login);
    };
    if (tx != nullptr)
      tx->after_commit(std::move(fire));
    else
      fire();
  });
}

void AccountService::sign_in_failed(std::string_view email, std::string_view method,
                                    std::string_view reason,
                                    const accounts::Origin& origin) noexcept {
  try {
    hooks_.fire(
        sdk::hooks::user_login_failed,
        sdk::LoginFailed{std::string(email), std::string(method), std::string(reason), origin});
  } catch (const std::exception& e) {
    log_->error("reporting a failed sign-in failed: {}", e.what());
  }
}

std::optional<accounts::Failure> AccountService::revoke_sessions_erased(
    std::int64_t user_id, std::int64_t keep_session_id, std::int64_t& revoked) noexcept {
  return guarded("revoking sessions", [&] { revoked = revoke_all(user_id, keep_session_id); });
}

void AccountService::forget_sessions_of(std::int64_t user_id) {
  cache_.forget(sessions_.live_hashes(user_id));
}

User AccountService::set_roles(std::int64_t user_id, const std::vector<std::string>& roles) {
  auto user = users_.set_roles(user_id, roles);
  forget_sessions_of(user_id);  // their principals carry the old roles
  announce_change(user, "roles");
  return user;
}

User AccountService::set_status(std::int64_t user_id, std::string_view status) {
  // The hashes are read first: suspending revokes the sessions, and then they are not live.
  auto hashes = sessions_.live_hashes(user_id);
  auto user = users_.set_status(user_id, status);
  cache_.forget(hashes);
  announce_change(user, "status");
  return user;
}

void AccountService::announce_change(const User& user, std::string change) noexcept {
  // The change is committed: a listener's failure is its own and must not undo the answer.
  try {
    hooks_.fire(sdk::hooks::user_changed, sdk::UserChanged{user, std::move(change)});
  } catch (const std::exception& e) {
    log_->error("announcing a change to user {} failed: {}", user.id, e.what());
  }
}

bool AccountService::revoke_session(std::int64_t session_id, std::int64_t user_id) {
  auto hash = sessions_.hash_of(session_id, user_id);
  if (!hash) return false;
  const bool revoked = sessions_.revoke(session_id, user_id);
  cache_.forget({*hash});
  return revoked;
}

std::int64_t AccountService::revoke_all(std::int64_t user_id, std::int64_t keep_session_id) {
  auto hashes = sessions_.live_hashes(user_id);
  if (keep_session_id != 0)
    if (auto kept = sessions_.hash_of(keep_session_id, user_id)) std::erase(hashes, *kept);
  const auto revoked = sessions_.revoke_all(user_id, keep_session_id);
  cache_.forget(hashes);
  return revoked;
}

}  // namespace lore
