#include "accounts/authenticator.h"

#include <spdlog/spdlog.h>

#include "lore/sdk/auth.h"
#include "lore/sdk/type_name.h"

namespace lore {

namespace {

constexpr std::string_view kSessionPrefix = "lore_";
constexpr std::size_t kSessionTokenLength = 5 + 43;  // prefix + 32 bytes in unpadded base64url

sdk::http::Principal principal_of(const CachedSession& s) {
  sdk::http::Principal p;
  p.user_id = s.user_id;
  p.roles = s.roles;
  p.via = "session";
  p.session_id = s.session_id;
  return p;
}

}  // namespace

Authenticator::Authenticator(SessionStore& sessions, SessionCache& cache,
                             const ServiceRegistry& services, const sdk::Clock& clock,
                             std::shared_ptr<spdlog::logger> log)
    : sessions_(sessions),
      cache_(cache),
      services_(services),
      clock_(clock),
      log_(std::move(log)) {}

bool Authenticator::is_session_token(std::string_view token) noexcept {
  return token.size() == kSessionTokenLength &&
         token.substr(0, kSessionPrefix.size()) == kSessionPrefix;
}

Authentication Authenticator::authenticate(std::string_view token) const noexcept {
  try {
    if (token.empty()) return {};
    return is_session_token(token) ? session(token) : verified_elsewhere(token);
  } catch (const sdk::db::Error& e) {
    log_->warn("cannot check a session: {}", e.what());
    return {Authentication::Outcome::unavailable, {}};
  } catch (const std::exception& e) {
    log_->error("checking a token failed: {}", e.what());
    return {Authentication::Outcome::unavailable, {}};
  }
}

Authentication Authenticator::session(std::string_view token) const {
  const auto hash = SessionStore::hash(token);
  if (auto cached = cache_.find(hash)) {
    if (!cached->live()) return {Authentication::Outcome::invalid, {}};
    // An expired copy is a miss: the database may have slid the expiry since.
    if (cached->expires_at_ms > clock_.now_ms())
      return {Authentication::Outcome::valid, principal_of(*cached)};
  }
  auto record = sessions_.validate(token);
  if (!record) {
    cache_.remember(hash, CachedSession{});
    return {Authentication::Outcome::invalid, {}};
  }
  CachedSession fresh{record->id, record->user_id, sessions_.roles_of(record->user_id),
                      record->expires_at_ms};
  cache_.remember(hash, fresh);
  return {Authentication::Outcome::valid, principal_of(fresh)};
}

Authentication Authenticator::verified_elsewhere(std::string_view token) const {
  const auto type = sdk::type_name<sdk::auth::TokenVerifier>();
  for (const auto& name : services_.names(sdk::auth::TokenVerifier::kServiceKind)) {
    auto service = std::static_pointer_cast<sdk::auth::TokenVerifier>(
        services_.find(sdk::auth::TokenVerifier::kServiceKind, type, name));
    if (!service) continue;
    const auto prefix = service->prefix();
    if (prefix.empty() || token.substr(0, prefix.size()) != prefix) continue;
    auto check = service->verify(token);
    switch (check.outcome) {
      case sdk::auth::TokenCheck::Outcome::valid:
        if (check.principal.via.empty()) check.principal.via = name;
        return {Authentication::Outcome::valid, std::move(check.principal)};
      case sdk::auth::TokenCheck::Outcome::invalid: return {Authentication::Outcome::invalid, {}};
      case sdk::auth::TokenCheck::Outcome::unavailable:
        return {Authentication::Outcome::unavailable, {}};
    }
  }
  return {Authentication::Outcome::invalid, {}};
}

}  // namespace lore
