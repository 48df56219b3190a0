// auth-apikey: API keys for server-to-server callers. Admins create them for a user (often a
// dedicated service account) with scopes; the key is shown once and only its hash is kept. A
// request with `Authorization: Bearer lore_key_...` acts as that user, limited to the routes
// whose declared scope the key carries (RouteSpec::scope); revoking takes effect at once.
#include <lore/sdk.h>

#include <memory>
#include <regex>
#include <string>

#include "api_key_store.h"

namespace {

using namespace lore::sdk;
using auth_apikey::ApiKey;
using auth_apikey::ApiKeyStore;

nlohmann::json key_json(const ApiKey& k) {
  auto optional_time = [](const std::optional<std::int64_t>& ms) {
    return ms ? nlohmann::json(rfc3339(*ms)) : nlohmann::json(nullptr);
  };
  return {{"id", k.id},
          {"user_id", k.user_id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"scopes", k.scopes},
          {"created_by", k.created_by},
          {"created_at", rfc3339(k.created_at_ms)},
          {"expires_at", optional_time(k.expires_at_ms)},
          {"last_used_at", optional_time(k.last_used_at_ms)},
          {"revoked_at", optional_time(k.revoked_at_ms)}};
}

using text::positive_integer;

// Checks keys for the kernel, with a cache in front of the database. Negative answers are
// cached too: keys are random, so a hash that matches nothing now never will.
class Keys final : public auth::TokenVerifier {
 public:
  Keys(Context& ctx)
      : store_(ctx.database(), ctx.clock()),
        accounts_(ctx.accounts()),
        cache_(ctx.cache()),
        clock_(ctx.clock()),
        ttl_(ctx.settings().get<std::int64_t>("cache_ms")),
        max_lifetime_days_(ctx.settings().get<std::int64_t>("max_lifetime_days")) {}

  std::string_view prefix() const noexcept override { return auth_apikey::kPrefix; }

  auth::TokenCheck verify(std::string_view token) noexcept override {
    using Outcome = auth::TokenCheck::Outcome;
    try {
      if (token.size() != auth_apikey::kPrefix.size() + 43) return {Outcome::invalid, {}};
      const auto hash = ApiKeyStore::hash(token);
      if (ttl_.count() > 0) {
        if (auto cached = cache_.get("keys", hash)) return from_cache(*cached);
      }
      auto key = store_.find_live(token);
      std::optional<accounts::User> user;
      if (key) user = accounts_.find_user(key->user_id);
      if (!key || !user || user->status != "active") {
        if (ttl_.count() > 0) cache_.set("keys", hash, "-", ttl_);
        return {Outcome::invalid, {}};
      }
      try {
        store_.touch(key->id);
      } catch (const db::Error&) {
        // The last-use time is a courtesy: a busy row must not refuse a valid key.
      }
      http::Principal p;
      p.user_id = user->id;
      p.roles = user->roles;
      p.via = "api_key";
      p.scopes = key->scopes;
      if (ttl_.count() > 0) {
        // A key that expires sooner than the cache entry is not cached past its expiry.
        auto ttl = ttl_;
        if (key->expires_at_ms)
          ttl = std::min(ttl, std::chrono::milliseconds(*key->expires_at_ms - clock_.now_ms()));
        if (ttl.count() > 0) {
          cache_.set("keys", hash,
                     nlohmann::json{{"u", p.user_id}, {"r", p.roles}, {"s", p.scopes}}.dump(), ttl);
          // A second look after caching: a revocation (or a change to the user) that committed
          // since the first look is seen here and the entry dropped; one committing later erases
          // the entry itself, after we wrote it. No stale copy outlives a revocation.
          auto again = store_.find_live(token);
          auto owner = again ? accounts_.find_user(again->user_id) : std::nullopt;
          if (!again || !owner || owner->status != "active" || owner->roles != p.roles) {
            cache_.erase("keys", hash);
            return {Outcome::invalid, {}};
          }
        }
      }
      return {Outcome::valid, std::move(p)};
    } catch (const db::Error&) {
      return {Outcome::unavailable, {}};
    } catch (const http::Error& e) {
      return {e.status() == 503 ? Outcome::unavailable : Outcome::invalid, {}};
    } catch (const std::exception&) {
      return {Outcome::unavailable, {}};
    }
  }

  http::Response create(const http::Request& request) {
    auto body = http::parse_json_body(request);
    if (!body.is_object())
      throw http::invalid_fields({{"body", "invalid_type", "the body must be a JSON object"}});
    std::vector<http::FieldError> errors;
    std::string name;
    if (!body.contains("name") || !body["name"].is_string())
      errors.push_back({"name", body.contains("name") ? "invalid_type" : "required",
                        "name must be a string of 1 to 100 bytes"});
    else if (name = body["name"].get<std::string>(); name.empty() || name.size() > 100)
      errors.push_back({"name", "invalid_length", "name must be 1 to 100 bytes"});
    std::vector<std::string> scopes;
    static const std::regex kScope("[a-z][a-z0-9_.-]*(:[a-z0-9_.-]+)?");
    if (!body.contains("scopes") || !body["scopes"].is_array() || body["scopes"].empty() ||
        body["scopes"].size() > 32) {
      errors.push_back({"scopes", body.contains("scopes") ? "invalid_type" : "required",
                        "scopes must be a list of 1 to 32 scopes such as \"users:read\""});
    } else {
      for (const auto& s : body["scopes"]) {
        if (!s.is_string() || s.get<std::string>().size() > 64 ||
            !std::regex_match(s.get<std::string>(), kScope)) {
          errors.push_back({"scopes", "invalid_scope",
                            "each scope is a word, optionally with a ':' qualifier, e.g. "
                            "users:read"});
          break;
        }
        scopes.push_back(s.get<std::string>());
      }
    }
    std::int64_t user_id = request.principal->user_id;
    if (body.contains("user_id")) {
      if (!body["user_id"].is_number_integer() || body["user_id"].get<std::int64_t>() <= 0)
        errors.push_back({"user_id", "invalid_type", "user_id must be a user's id"});
      else
        user_id = body["user_id"].get<std::int64_t>();
    }
    std::optional<std::int64_t> expires_at;
    if (body.contains("expires_in_days") && !body["expires_in_days"].is_null()) {
      const auto& days = body["expires_in_days"];
      const std::int64_t most = max_lifetime_days_ > 0 ? max_lifetime_days_ : 3650;
      if (!days.is_number_integer() || days.get<std::int64_t>() < 1 ||
          days.get<std::int64_t>() > most)
        errors.push_back(
            {"expires_in_days", "out_of_range",
             "expires_in_days must be a whole number from 1 to " + std::to_string(most)});
      else
        expires_at = clock_.now_ms() + days.get<std::int64_t>() * 86400000;
    } else if (max_lifetime_days_ > 0) {
      errors.push_back(
          {"expires_in_days", "required",
           "keys on this site expire within " + std::to_string(max_lifetime_days_) + " days"});
    }
    if (errors.empty()) {
      auto user = accounts_.find_user(user_id);
      if (!user || user->status != "active")
        errors.push_back({"user_id", "unknown_user", "no active user with this id"});
    }
    if (!errors.empty()) throw http::invalid_fields(std::move(errors));
    auto made = store_.create(user_id, name, scopes, request.principal->user_id, expires_at);
    return http::Response::json({{"key", made.secret}, {"api_key", key_json(made.key)}}, 201);
  }

  http::Response list(const http::Request& request) {
    std::int64_t after = 0;
    int limit = 50;
    std::vector<http::FieldError> errors;
    if (auto cursor = request.query_param("cursor")) {
      if (auto v = positive_integer(*cursor))
        after = *v;
      else
        errors.push_back({"cursor", "invalid_cursor", "cursor must be a next_cursor from a page"});
    }
    if (auto text = request.query_param("limit")) {
      auto v = positive_integer(*text);
      if (!v || *v > 200)
        errors.push_back({"limit", "out_of_range", "limit must be a whole number from 1 to 200"});
      else
        limit = static_cast<int>(*v);
    }
    if (!errors.empty()) throw http::invalid_fields(std::move(errors));
    nlohmann::json items = nlohmann::json::array();
    const auto keys = store_.list(after, limit);
    for (const auto& k : keys) items.push_back(key_json(k));
    nlohmann::json next = nullptr;
    if (static_cast<int>(keys.size()) == limit) next = std::to_string(keys.back().id);
    return http::Response::json({{"api_keys", items}, {"next_cursor", next}});
  }

  // A key acts as its user: once the user's roles or status change, no process may keep
  // trusting a cached copy that carries the old ones.
  void forget_keys_of(std::int64_t user_id) {
    for (const auto& hash : store_.unrevoked_hashes(user_id)) cache_.erase("keys", hash);
  }

  http::Response revoke(const http::Request& request) {
    auto id = positive_integer(request.param("id"));
    auto hash = id ? store_.revoke(*id) : std::nullopt;
    if (!hash) throw http::Error(404, "not_found", "no live API key with this id");
    cache_.erase("keys", *hash);  // every process sharing the cache stops accepting it now
    return http::Response::no_content();
  }

 private:
  auth::TokenCheck from_cache(const std::string& text) {
    using Outcome = auth::TokenCheck::Outcome;
    if (text == "-") return {Outcome::invalid, {}};
    const auto json = nlohmann::json::parse(text);
    http::Principal p;
    p.user_id = json.at("u").get<std::int64_t>();
    p.roles = json.at("r").get<std::vector<std::string>>();
    p.scopes = json.at("s").get<std::vector<std::string>>();
    p.via = "api_key";
    return {Outcome::valid, std::move(p)};
  }

  ApiKeyStore store_;
  accounts::Accounts& accounts_;
  Cache& cache_;
  const Clock& clock_;
  std::chrono::milliseconds ttl_;
  std::int64_t max_lifetime_days_;
};

class AuthApiKey {
 public:
  Status start(Context& ctx) {
    auto keys = std::make_shared<Keys>(ctx);
    if (auto s = ctx.services().provide<auth::TokenVerifier>("api_key", keys); !s) return s;
    ctx.hooks().on(hooks::user_changed,
                   [keys](const UserChanged& event) { keys->forget_keys_of(event.user.id); });
    auto add = [&](http::Method method, std::string path, std::string summary, auto handler) {
      RouteSpec spec;
      spec.method = method;
      spec.path = std::move(path);
      spec.summary = std::move(summary);
      // Key management needs an admin's session: a leaked key cannot mint more keys.
      spec.access = http::Access::admin;
      spec.tags = {"admin"};
      return ctx.routes().add(
          spec, [keys, handler](const http::Request& r) { return ((*keys).*handler)(r); });
    };
    if (auto s = add(http::Method::post, "/api/v1/admin/api-keys",
                     "Creates a key: {name, scopes, user_id?, expires_in_days?} -> 201 {key, "
                     "api_key}. `key` is shown this once.",
                     &Keys::create);
        !s)
      return s;
    if (auto s = add(http::Method::get, "/api/v1/admin/api-keys",
                     "Keys by id (never their secrets), with last use; ?limit= and ?cursor=.",
                     &Keys::list);
        !s)
      return s;
    return add(http::Method::delete_, "/api/v1/admin/api-keys/{id}",
               "Revokes a key; every process refuses it from the next request.", &Keys::revoke);
  }
};

}  // namespace

LORE_PLUGIN(AuthApiKey, "auth-apikey", "1.0.0")
