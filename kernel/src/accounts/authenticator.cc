#include "accounts/authenticator.h"

#include <spdlog/spdlog.h>

#include "lore/sdk/auth.h"
#include "lore/sdk/type_name.h"

namespace lore {

namespace {

constexpr std::string_view kSessionPrefix = "lore_";
constexpr std::size_t kSessionTokenLength = 5 + 43;  // prefix + 32 bytes in unpadded base64url

// Takes the session by value: callers hand over their copy, so the roles move, not copy.
sdk::http::Principal principal_of(CachedSession s) {
  sdk::http::Principal p;
  p.user_id = s.user_id;
  p.roles = std::move(s.roles);
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
  const auto now = clock_.now_ms();
  // An expired copy is a miss: the database may have slid the expiry since.
  if (auto local = cache_.find_local(token)) {
    if (!local->live()) return {Authentication::Outcome::invalid, {}};
    if (local->expires_at_ms > now)
      return {Authentication::Outcome::valid, principal_of(std::move(*local))};
  }
  const auto hash = SessionStore::hash(token);
  if (auto shared = cache_.find_shared(token, hash)) {
    if (!shared->live()) return {Authentication::Outcome::invalid, {}};
    if (shared->expires_at_ms > now)
      return {Authentication::Outcome::valid, principal_of(std::move(*shared))};
  }
  auto record = sessions_.validate(token);
  if (!record) {
    cache_.remember(token, hash, CachedSession{});
    return {Authentication::Outcome::invalid, {}};
  }
  CachedSession fresh{record->id, record->user_id, sessions_.roles_of(record->user_id),
                      record->expires_at_ms};
  cache_.remember(token, hash, fresh);
  // A second look after caching: a logout, suspension or role change that committed after the
  // first look is seen here (and our entry dropped); one that commits later forgets the entry
  // itself, after we wrote it. Either way no stale copy outlives the change. Misses are rare
  // (once a minute per active session), so the extra query is cheap.
  if (!sessions_.still_as_seen(fresh.session_id, fresh.user_id, fresh.roles)) {
    cache_.forget({hash});
    return session_after_change(token);
  }
  return {Authentication::Outcome::valid, principal_of(std::move(fresh))};
}

Authentication Authenticator::session_after_change(std::string_view token) const {
  // Answered from the database alone, cached nowhere: the session is changing right now.
  auto record = sessions_.validate(token);
  if (!record) return {Authentication::Outcome::invalid, {}};
  return {Authentication::Outcome::valid,
          principal_of(CachedSession{record->id, record->user_id,
                                     sessions_.roles_of(record->user_id), record->expires_at_ms})};
}

Authentication Authenticator::verified_elsewhere(std::string_view token) const {
  const auto type = sdk::type_name<sdk::auth::TokenVerifier>();
  for (const auto& name : services_.names(sdk::auth::TokenVerifier::kServiceKind)) {
    // "session" is the kernel's own: a verifier may not pass its callers off as sessions,
    // which routes trust beyond scopes.
    if (name == "session") continue;
    auto service = std::static_pointer_cast<sdk::auth::TokenVerifier>(
        services_.find(sdk::auth::TokenVerifier::kServiceKind, type, name));
    if (!service) continue;
    const auto prefix = service->prefix();
    if (prefix.empty() || token.substr(0, prefix.size()) != prefix) continue;
    auto check = service->verify(token);
    switch (check.outcome) {
      case sdk::auth::TokenCheck::Outcome::valid:
        check.principal.via = name;  // whatever the verifier said
        check.principal.session_id = 0;
        return {Authentication::Outcome::valid, std::move(check.principal)};
      case sdk::auth::TokenCheck::Outcome::invalid: return {Authentication::Outcome::invalid, {}};
      case sdk::auth::TokenCheck::Outcome::unavailable:
        return {Authentication::Outcome::unavailable, {}};
    }
  }
  return {Authentication::Outcome::invalid, {}};
}

}  // namespace lore
