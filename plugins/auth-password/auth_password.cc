// auth-password: accounts with an email and a password. The kernel owns the users and the
// sessions; this plugin owns the password hashes (auth_password_credentials) and decides
// whether a password is right. It serves sign-up, sign-in and password change, and provides
// the "password" auth method to other plugins.
#include <lore/sdk.h>

#include <memory>
#include <string>

#include "login_limiter.h"
#include "password_hasher.h"
#include "password_policy.h"

namespace {

using namespace lore::sdk;
using auth_password::LoginLimiter;
using auth_password::PasswordHasher;
using auth_password::PasswordPolicy;

using http::string_field;
using text::ascii_lower;

http::Response too_many(int retry_after_s, const std::string& message) {
  auto r =
      http::Response::failure(429, "rate_limited", message, {{"retry_after_s", retry_after_s}});
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

http::Error busy() {
  return http::Error(503, "busy", "too many sign-ins at once; try again shortly",
                     {{"retry_after_s", 1}});
}

// Everything the routes and the auth method share.
class Passwords final : public auth::AuthMethod {
 public:
  explicit Passwords(Context& ctx)
      : settings_(ctx.settings()),
        accounts_(ctx.accounts()),
        database_(ctx.database()),
        clock_(ctx.clock()),
        policy_(static_cast<std::size_t>(settings_.get<std::int64_t>("min_length")),
                static_cast<std::size_t>(settings_.get<std::int64_t>("max_length"))),
        hasher_({static_cast<std::size_t>(settings_.get<std::int64_t>("memory_kib")),
                 static_cast<std::uint64_t>(settings_.get<std::int64_t>("passes")),
                 static_cast<std::size_t>(settings_.get<std::int64_t>("max_concurrent_hashes")),
                 std::chrono::milliseconds(2000)}),
        per_account_(ctx.cache(), ctx.clock(), "login-account",
                     std::chrono::seconds(settings_.get<std::int64_t>("login_window_s")),
                     settings_.get<std::int64_t>("login_attempts_per_account")),
        per_ip_(ctx.cache(), ctx.clock(), "login-ip",
                std::chrono::seconds(settings_.get<std::int64_t>("login_window_s")),
                settings_.get<std::int64_t>("login_attempts_per_ip")),
        registrations_(ctx.cache(), ctx.clock(), "register-ip", std::chrono::hours(1),
                       settings_.get<std::int64_t>("registrations_per_ip_per_hour")),
        log_(ctx.log()) {}

  auth::Verdict authenticate(const nlohmann::json& credentials,
                             const accounts::Origin& origin) noexcept override {
    try {
      if (!credentials.is_object()) return {auth::Reason::invalid_input, {}, 0, "not an object"};
      std::vector<http::FieldError> errors;
      auto email = string_field(credentials, "email", 254, errors);
      auto password = string_field(credentials, "password", 4 * policy_.max_length(), errors);
      if (!errors.empty()) return {auth::Reason::invalid_input, {}, 0, errors.front().message};
      return check(*email, *password, origin).verdict;
    } catch (const std::exception& e) {
      return {auth::Reason::unavailable, {}, 0, e.what()};
    }
  }

  // Whether `password` signs in as `email`. Every refusal fires user.login_failed, and unknown
  // emails cost one argon2id verification like wrong passwords do.
  struct Checked {
    auth::Verdict verdict;
    std::string hash;  // the stored hash the password matched (when accepted)
  };
  Checked check(const std::string& email, const std::string& password,
                const accounts::Origin& origin) {
    auto refuse = [&](auth::Reason reason, int retry_after_s = 0) {
      accounts_.sign_in_failed(email, "password", auth::to_string(reason), origin);
      return Checked{auth::Verdict{reason, std::nullopt, retry_after_s, {}}, {}};
    };
    const auto account_key = ascii_lower(email);
    const auto by_account = per_account_.attempt(account_key);
    const auto by_ip = per_ip_.attempt(origin.ip);
    if (by_account.cache_down || by_ip.cache_down)
      log_.warn("login rate limits are not enforced: the cache is unavailable");
    if (!by_account.allowed || !by_ip.allowed)
      return refuse(auth::Reason::rate_limited,
                    std::max(by_account.retry_after_s, by_ip.retry_after_s));

    auto user = accounts_.find_user_by_email(email);
    std::optional<std::string> hash;
    if (user) {
      if (auto row = database_.session().query_one(
              "SELECT hash FROM auth_password_credentials WHERE user_id = ?", {user->id}))
        hash = row->get<std::string>("hash");
    }
    const auto matched = hash ? hasher_.verify(*hash, password) : hasher_.verify_nothing(password);
    if (!matched) throw busy();
    if (!user || !hash) return refuse(auth::Reason::unknown_user);
    if (!*matched) return refuse(auth::Reason::wrong_secret);
    if (user->status != "active") return refuse(auth::Reason::suspended);
    per_account_.clear(account_key);
    auto current = *hash;
    if (hasher_.needs_rehash(current)) current = rehash(user->id, current, password);
    return {{auth::Reason::accepted, user, 0, {}}, current};
  }

  // A session for a user whose password was just checked against `checked_hash`, issued in
  // one transaction with a fresh look at the credential: a password change that committed
  // while argon2id ran makes this refuse instead of handing out a session the change meant to
  // end (on MySQL the row lock orders them; on SQLite the later writer retries and sees it).
  std::optional<accounts::IssuedSession> sign_in_if_unchanged(const accounts::User& user,
                                                              const std::string& checked_hash,
                                                              const accounts::Origin& origin) {
    return database_.transact([&](db::Transaction& tx) -> std::optional<accounts::IssuedSession> {
      auto row = tx.query_one("SELECT hash FROM auth_password_credentials WHERE user_id = ?" +
                                  std::string(db::row_lock(tx.dialect())),
                              {user.id});
      if (!row || row->get<std::string>("hash") != checked_hash) return std::nullopt;
      return accounts_.sign_in(user.id, "password", origin, &tx);
    });
  }

  http::Response register_user(const http::Request& request) {
    if (!settings_.get<bool>("registration_open"))
      throw http::Error(403, "registration_closed", "this site does not take sign-ups");
    const auto origin = accounts::Origin::of(request);
    const auto body = http::parse_json_object_body(request);
    std::vector<http::FieldError> errors;
    auto email = string_field(body, "email", 254, errors);
    auto password = string_field(body, "password", 4 * policy_.max_length(), errors);
    auto display_name = string_field(body, "display_name", 400, errors);
    if (!email || !display_name) {
      // Wrong types: nothing the kernel could check further.
      if (password)
        if (auto problem = policy_.check(*password, ""))
          errors.push_back({"password", problem->code, problem->message});
      throw http::invalid_fields(std::move(errors));
    }
    if (password)
      if (auto problem = policy_.check(*password, *email))
        errors.push_back({"password", problem->code, problem->message});

    const auto limit = registrations_.attempt(origin.ip);
    if (!limit.allowed)
      return too_many(limit.retry_after_s, "too many sign-ups from this address; try later");

    accounts::Registration registration;
    registration.email = *email;
    registration.display_name = *display_name;
    registration.method = "password";
    registration.data = body;
    registration.data.erase("password");  // validators never see it
    registration.errors = errors;
    // Every problem at once (ours, the kernel's, the validators'), and nothing written.
    accounts_.check_registration(registration);
    // The slow part happens before the transaction, so no lock waits on argon2id.
    const auto hash = hasher_.hash(*password);
    if (!hash) throw busy();
    // The user, their password and their first session commit together or not at all: a
    // failed sign-in cannot leave an account the client was told did not get made.
    const auto [user, issued] = database_.transact([&](db::Transaction& tx) {
      auto created = accounts_.register_user(registration, &tx);
      tx.execute(
          "INSERT INTO auth_password_credentials (user_id, hash, updated_at) VALUES (?, ?, ?)",
          {created.id, *hash, clock_.now_ms()});
      auto session = accounts_.sign_in(created.id, "password", origin, &tx);
      return std::pair{created, session};
    });
    return http::Response::json({{"user", user},
                                 {"token", issued.token},
                                 {"expires_at", rfc3339(issued.session.expires_at_ms)}},
                                201);
  }

  http::Response login(const http::Request& request) {
    const auto origin = accounts::Origin::of(request);
    const auto body = http::parse_json_object_body(request);
    std::vector<http::FieldError> errors;
    auto email = string_field(body, "email", 254, errors);
    auto password = string_field(body, "password", 4 * policy_.max_length(), errors);
    if (!errors.empty()) throw http::invalid_fields(std::move(errors));
    const auto checked = check(*email, *password, origin);
    const auto& verdict = checked.verdict;
    switch (verdict.reason) {
      case auth::Reason::accepted: {
        auto issued = sign_in_if_unchanged(*verdict.user, checked.hash, origin);
        if (!issued) break;  // the password changed meanwhile: this one is no longer right
        return http::Response::json({{"token", issued->token},
                                     {"expires_at", rfc3339(issued->session.expires_at_ms)},
                                     {"user", *verdict.user}});
      }
      case auth::Reason::rate_limited:
        return too_many(verdict.retry_after_s, "too many sign-in attempts; try again later");
      case auth::Reason::suspended:
        throw http::Error(403, "suspended", "this account is suspended");
      case auth::Reason::unknown_user:
      case auth::Reason::wrong_secret:
      case auth::Reason::invalid_input: break;
      case auth::Reason::unavailable: throw busy();
    }
    // One answer for both: which emails have accounts is nobody's business.
    throw http::Error(401, "invalid_credentials", "the email or the password is wrong");
  }

  http::Response change_password(const http::Request& request) {
    const auto& principal = *request.principal;
    const auto body = http::parse_json_object_body(request);
    auto user = accounts_.find_user(principal.user_id);
    if (!user) throw http::Error(401, "invalid_token", "the token's user no longer exists");
    std::optional<std::string> hash;
    if (auto row = database_.session().query_one(
            "SELECT hash FROM auth_password_credentials WHERE user_id = ?", {user->id}))
      hash = row->get<std::string>("hash");

    std::vector<http::FieldError> errors;
    // A user without a password yet (created by `lore admin create-user`) sets one.
    std::optional<std::string> current;
    if (hash) current = string_field(body, "current_password", 4 * policy_.max_length(), errors);
    auto next = string_field(body, "new_password", 4 * policy_.max_length(), errors);
    if (next)
      if (auto problem = policy_.check(*next, user->email))
        errors.push_back({"new_password", problem->code, problem->message});
    if (!errors.empty()) throw http::invalid_fields(std::move(errors));

    if (hash) {
      const auto limit = per_account_.attempt(ascii_lower(user->email));
      if (!limit.allowed)
        return too_many(limit.retry_after_s, "too many attempts; try again later");
      const auto matched = hasher_.verify(*hash, *current);
      if (!matched) throw busy();
      if (!*matched)
        throw http::invalid_fields(
            {{"current_password", "incorrect", "current_password is not the account's password"}});
    }
    const auto fresh = hasher_.hash(*next);
    if (!fresh) throw busy();
    const auto now = clock_.now_ms();
    // Conditional on the hash that was checked: of two changes at once, one wins and the other
    // is told, instead of being silently lost.
    const bool written =
        hash
            ? database_.session().execute(
                  "UPDATE auth_password_credentials SET hash = ?, updated_at = ? WHERE user_id = ? "
                  "AND hash = ?",
                  {*fresh, now, user->id, *hash}) == 1
            : database_.session().try_insert(
                  "INSERT INTO auth_password_credentials (user_id, hash, updated_at) VALUES (?, ?, "
                  "?)",
                  {user->id, *fresh, now});
    if (!written)
      throw http::Error(409, "conflict", "the password was changed meanwhile; try again");
    // Whoever else held a session (perhaps whoever learnt the old password) is signed out.
    const auto revoked = accounts_.revoke_sessions(user->id, principal.session_id);
    return http::Response::json({{"revoked_sessions", revoked}});
  }

 private:
  // Parameters were raised since this hash was made: store one made with the current ones and
  // return the hash now stored. Conditional on the old hash, so a concurrent change wins.
  std::string rehash(std::int64_t user_id, const std::string& old_hash,
                     const std::string& password) {
    try {
      if (auto fresh = hasher_.hash(password))
        if (database_.session().execute(
                "UPDATE auth_password_credentials SET hash = ?, updated_at = ? WHERE user_id = ? "
                "AND hash = ?",
                {*fresh, clock_.now_ms(), user_id, old_hash}) == 1)
          return *fresh;
    } catch (const std::exception& e) {
      log_.warn(std::string("could not upgrade a password hash: ") + e.what());
    }
    return old_hash;
  }

  const Settings& settings_;
  accounts::Accounts& accounts_;
  db::Database& database_;
  const Clock& clock_;
  PasswordPolicy policy_;
  PasswordHasher hasher_;
  LoginLimiter per_account_;
  LoginLimiter per_ip_;
  LoginLimiter registrations_;
  Logger& log_;
};

nlohmann::json body_schema(std::initializer_list<std::pair<const char*, int>> fields) {
  nlohmann::json properties = nlohmann::json::object();
  nlohmann::json required = nlohmann::json::array();
  for (const auto& [name, max] : fields) {
    properties[name] = {{"type", "string"}, {"maxLength", max}};
    required.push_back(name);
  }
  return {{"requestBody",
           {{"required", true},
            {"content",
             {{"application/json",
               {{"schema",
                 {{"type", "object"}, {"required", required}, {"properties", properties}}}}}}}}}};
}

class AuthPassword {
 public:
  Status start(Context& ctx) {
    auto passwords = std::make_shared<Passwords>(ctx);
    if (auto s = ctx.services().provide<auth::AuthMethod>("password", passwords); !s) return s;

    RouteSpec reg;
    reg.method = http::Method::post;
    reg.path = "/api/v1/auth/register";
    reg.summary =
        "Signs up with {email, password, display_name}: 201 {user, token, expires_at}; 400 "
        "lists every field at fault; 409 duplicate_email.";
    reg.access = http::Access::anonymous;
    reg.tags = {"accounts"};
    reg.openapi = body_schema({{"email", 254}, {"password", 1024}, {"display_name", 100}});
    if (auto s = ctx.routes().add(
            reg, [passwords](const http::Request& r) { return passwords->register_user(r); });
        !s)
      return s;

    RouteSpec login;
    login.method = http::Method::post;
    login.path = "/api/v1/auth/login";
    login.summary =
        "Signs in with {email, password}: 200 {token, expires_at, user}; 401 "
        "invalid_credentials for an unknown email or a wrong password alike; 429 with "
        "Retry-After past the attempt limits.";
    login.access = http::Access::anonymous;
    login.tags = {"accounts"};
    login.openapi = body_schema({{"email", 254}, {"password", 1024}});
    if (auto s = ctx.routes().add(
            login, [passwords](const http::Request& r) { return passwords->login(r); });
        !s)
      return s;

    RouteSpec change;
    change.method = http::Method::post;
    change.path = "/api/v1/auth/password";
    change.summary =
        "Changes the signed-in user's password with {current_password, new_password} and "
        "signs out every other session: 200 {revoked_sessions}.";
    change.access = http::Access::authenticated;
    change.tags = {"accounts"};
    change.openapi = body_schema({{"current_password", 1024}, {"new_password", 1024}});
    return ctx.routes().add(
        change, [passwords](const http::Request& r) { return passwords->change_password(r); });
  }
};

}  // namespace

LORE_PLUGIN(AuthPassword, "auth-password", "1.0.0")
