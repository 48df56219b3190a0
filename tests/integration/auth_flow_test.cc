// Accounts end to end through the request pipeline, on SQLite and on MariaDB with Redis as the
// cache: sign-up, sign-in, sessions, password change, rate limits, suspension, the admin
// endpoints and the run-time plugin switch, with the auth-password plugin loaded for real.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "accounts/account_service.h"
#include "core/clocks.h"
#include "lore/sdk/hooks.h"
#include "support/api_call.h"
#include "support/in_process.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr const char* kPassword = "correct horse battery staple";

using Answer = ApiAnswer;

std::string unique(const std::string& stem) {
  static std::mt19937_64 random{std::random_device{}()};
  return stem + std::to_string(random() % 1000000000);
}

// A valid address no other test run uses (per-IP counters may live in a shared Redis).
std::string random_ipv4(int first_octet) {
  static std::mt19937 random{std::random_device{}()};
  return std::to_string(first_octet) + "." + std::to_string(random() % 256) + "." +
         std::to_string(random() % 256) + "." + std::to_string(1 + random() % 254);
}

class AuthFlow : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
    ip_ = unique("10.0.") + ".1";  // rate limits count per IP: each test has its own
  }

  void Start(const std::string& password_settings = "",
             const std::vector<std::string>& overrides = {}) {
    std::string extra = db_->yaml();
    // MariaDB runs with the shared Redis cache, as a production site would.
    if (const char* redis = std::getenv("LORE_TEST_REDIS_URL");
        redis != nullptr && GetParam() == Dialect::mysql)
      extra += std::string("cache:\n  url: \"") + redis + "\"\n";
    extra += "auth:\n  session_cache_ms: 5000\n";
    std::string plugins =
        "  hello: { enabled: true }\n  auth-apikey: { enabled: true }\n  auth-password:\n"
        "    enabled: true\n";
    if (!password_settings.empty()) plugins += "    settings: {" + password_settings + "}\n";
    kernel_ = std::make_unique<Kernel>(
        parse_kernel_config(kernel_yaml(0, plugins, extra), "test.yaml", overrides),
        KernelOptions{.serve_http = false, .clock = &clock_});
    kernel_->start();
    ASSERT_EQ(state_of(*kernel_, "auth-password"), "running")
        << reason_of(*kernel_, "auth-password");
  }

  Answer Call(Method method, const std::string& path, const nlohmann::json& body = nullptr,
              const std::string& token = "", std::string raw_body = "") {
    return call_api(*kernel_, {method, path, body.is_null() ? raw_body : body.dump(), token, ip_});
  }

  Answer Register(const std::string& email, const std::string& password = kPassword,
                  const std::string& name = "Ada") {
    return Call(Method::post, "/api/v1/auth/register",
                {{"email", email}, {"password", password}, {"display_name", name}});
  }
  Answer Login(const std::string& email, const std::string& password = kPassword) {
    return Call(Method::post, "/api/v1/auth/login", {{"email", email}, {"password", password}});
  }
  // An admin made the way a site makes its first one (lore admin create-user --token).
  std::string AdminToken() {
    auto& accounts = kernel_->accounts();
    auto admin = accounts.users().create({unique("admin") + "@example.com", "Admin", {"admin"}});
    return accounts.sessions().issue(admin.id, "test", "").token;
  }
  std::int64_t Count(const std::string& table) {
    return kernel_->database()
        .session()
        .query_one("SELECT COUNT(*) AS n FROM " + table)
        ->get<std::int64_t>("n");
  }

  ManualClock clock_;
  std::optional<TestDatabase> db_;
  std::unique_ptr<Kernel> kernel_;
  std::string ip_;
};

TEST_P(AuthFlow, RegisterSignInUseAndSignOut) {
  Start();
  std::vector<std::string> events;
  kernel_->hooks().on(sdk::hooks::user_registered, [&](const sdk::UserRegistered& e) {
    events.push_back("registered " + e.user.email + " via " + e.method);
  });
  kernel_->hooks().on(sdk::hooks::user_login, [&](const sdk::UserLogin& e) {
    events.push_back("login " + e.user.email + " via " + e.method + " from " + e.origin.ip);
  });
  const auto email = unique("ada") + "@example.com";
  const auto signed_up = Register(email);
  ASSERT_EQ(signed_up.status, 201) << signed_up.body;
  EXPECT_EQ(signed_up.body["user"]["email"], email);
  EXPECT_EQ(signed_up.body["user"]["display_name"], "Ada");
  EXPECT_EQ(signed_up.body["user"]["roles"], nlohmann::json::array({"learner"}));
  EXPECT_EQ(signed_up.body["user"]["status"], "active");
  const auto first = signed_up.body["token"].get<std::string>();
  EXPECT_EQ(first.rfind("lore_", 0), 0u);
  EXPECT_EQ(first.size(), 48u);
  // 30 days by default, from the test clock.
  EXPECT_EQ(signed_up.body["expires_at"], sdk::rfc3339(clock_.now_ms() + 30LL * 24 * 3600 * 1000));

  const auto me = Call(Method::get, "/api/v1/me", nullptr, first);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.body["user"]["id"], signed_up.body["user"]["id"]);
  EXPECT_EQ(me.body["via"], "session");

  // Signing in is case-insensitive in the email and opens a second session.
  auto upper = email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto login = Login(upper);
  ASSERT_EQ(login.status, 200) << login.body;
  const auto second = login.body["token"].get<std::string>();
  EXPECT_NE(second, first);
  EXPECT_EQ(login.body["user"]["email"], email);

  const auto sessions = Call(Method::get, "/api/v1/me/sessions", nullptr, second);
  ASSERT_EQ(sessions.status, 200);
  ASSERT_EQ(sessions.body["sessions"].size(), 2u);
  int current = 0;
  for (const auto& s : sessions.body["sessions"]) {
    current += s["current"].get<bool>() ? 1 : 0;
    EXPECT_EQ(s["user_agent"], "lore-tests");
    EXPECT_EQ(s["ip"], ip_);
  }
  EXPECT_EQ(current, 1);

  // Logout ends this session only, at once (the cached copy is forgotten too).
  EXPECT_EQ(Call(Method::post, "/api/v1/auth/logout", nullptr, second).status, 204);
  const auto after = Call(Method::get, "/api/v1/me", nullptr, second);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.code(), "invalid_token");
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, first).status, 200);
  EXPECT_THAT(events, ElementsAre("registered " + email + " via password",
                                  "login " + email + " via password from " + ip_,
                                  "login " + email + " via password from " + ip_));
}

TEST_P(AuthFlow, BadSignUpsAnswer400WithEveryFieldAndWriteNothing) {
  Start();
  const auto users = Count("lore_users");
  const auto credentials = Count("auth_password_credentials");

  auto malformed = Call(Method::post, "/api/v1/auth/register", nullptr, "", "{\"email\": ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.code(), "invalid_json");
  EXPECT_THAT(Call(Method::post, "/api/v1/auth/register", nlohmann::json::array()).fields(),
              ElementsAre("body:invalid_type"));
  EXPECT_THAT(Call(Method::post, "/api/v1/auth/register", nlohmann::json::object()).fields(),
              ElementsAre("email:required", "password:required", "display_name:required"));
  EXPECT_THAT(
      Call(Method::post, "/api/v1/auth/register",
           {{"email", 7}, {"password", true}, {"display_name", {1}}})
          .fields(),
      ElementsAre("email:invalid_type", "password:invalid_type", "display_name:invalid_type"));
  EXPECT_THAT(Register(std::string(300, 'a') + "@example.com").fields(),
              ElementsAre("email:too_long"));
  EXPECT_THAT(Register("not-an-email", "short", " ").fields(),
              ElementsAre("password:too_short", "email:invalid_email",
                          "display_name:invalid_display_name"));
  EXPECT_THAT(Register(unique("b") + "@example.com", "password1234").fields(),
              ElementsAre("password:too_common"));
  EXPECT_THAT(Register(unique("c") + "@example.com", std::string(129, 'x')).fields(),
              ElementsAre("password:too_long"));
  // Bytes that are not UTF-8 never get past the JSON parser.
  EXPECT_EQ(Call(Method::post, "/api/v1/auth/register", nullptr, "",
                 "{\"email\": \"x@example.com\", \"password\": \"\xff\xfe abcdefghijkl\", "
                 "\"display_name\": \"X\"}")
                .code(),
            "invalid_json");
  const auto same = unique("same-as-email") + "@example.com";
  EXPECT_THAT(Register(same, same).fields(), ElementsAre("password:same_as_email"));
  // Twelve characters, not twelve bytes: eleven CJK characters are too short.
  EXPECT_THAT(Register(unique("e") + "@example.com", "知识付费知识付费知识付").fields(),
              ElementsAre("password:too_short"));
  EXPECT_EQ(Count("lore_users"), users);
  EXPECT_EQ(Count("auth_password_credentials"), credentials);

  // A duplicate, in any case, is 409 and leaves the first account alone.
  const auto email = unique("dup") + "@example.com";
  ASSERT_EQ(Register(email).status, 201);
  auto upper = email;
  upper[0] = static_cast<char>(std::toupper(upper[0]));
  const auto duplicate = Register(upper, "another long password");
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.code(), "duplicate_email");
  EXPECT_EQ(Count("lore_users"), users + 1);
  EXPECT_EQ(Count("auth_password_credentials"), credentials + 1);
  EXPECT_EQ(Login(email).status, 200);
  EXPECT_EQ(Login(email, "another long password").status, 401);
}

TEST_P(AuthFlow, RegistrationValidatorsCanRefuseAndNormalise) {
  Start();
  kernel_->hooks().on(sdk::hooks::registration_validate, [](sdk::accounts::Registration r) {
    if (r.display_name == "root")
      r.errors.push_back({"display_name", "reserved", "this name is reserved"});
    if (!r.data.contains("accept_terms"))
      r.errors.push_back({"accept_terms", "required", "accept the terms first"});
    if (r.data.contains("password")) r.errors.push_back({"password", "leaked", "seen"});
    if (r.display_name == "sneaky") r.errors.clear();  // tries to wave a bad sign-up through
    r.display_name += " (new)";
    return r;
  });
  const auto users = Count("lore_users");
  const auto refused = Register(unique("v") + "@example.com", kPassword, "root");
  EXPECT_THAT(refused.fields(), ElementsAre("display_name:reserved", "accept_terms:required"));
  EXPECT_EQ(Count("lore_users"), users);
  // Validators add problems; they cannot take the method's or the kernel's away.
  EXPECT_THAT(Call(Method::post, "/api/v1/auth/register",
                   {{"email", "not-an-email"},
                    {"password", "short"},
                    {"display_name", "sneaky"},
                    {"accept_terms", true}})
                  .fields(),
              ElementsAre("password:too_short", "email:invalid_email"));
  EXPECT_EQ(Count("lore_users"), users);
  EXPECT_EQ(Count("auth_password_credentials"), 0);
  const auto accepted = Call(Method::post, "/api/v1/auth/register",
                             {{"email", unique("w") + "@example.com"},
                              {"password", kPassword},
                              {"display_name", "Grace"},
                              {"accept_terms", true}});
  ASSERT_EQ(accepted.status, 201) << accepted.body;
  EXPECT_EQ(accepted.body["user"]["display_name"], "Grace (new)");
}

TEST_P(AuthFlow, UnknownEmailAndWrongPasswordAnswerAlikeInSimilarTime) {
  Start();
  std::vector<std::string> reasons;
  kernel_->hooks().on(sdk::hooks::user_login_failed,
                      [&](const sdk::LoginFailed& e) { reasons.push_back(e.reason); });
  const auto email = unique("eve") + "@example.com";
  ASSERT_EQ(Register(email).status, 201);
  const auto wrong = Login(email, "not the password at all");
  const auto unknown = Login(unique("nobody") + "@example.com");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body["error"]["code"], unknown.body["error"]["code"]);
  EXPECT_EQ(wrong.body["error"]["message"], unknown.body["error"]["message"]);
  EXPECT_THAT(reasons, ElementsAre("wrong_secret", "unknown_user"));

  // Both cost one argon2id verification: the medians are within a factor of two. The two
  // kinds alternate, so that load on the machine weighs on both alike.
  std::vector<double> wrong_times, unknown_times;
  auto timed = [](const std::function<Answer()>& attempt) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(attempt().status, 401);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  for (int i = 0; i < 9; ++i) {
    clock_.advance(1h);  // a fresh rate-limit window each round
    wrong_times.push_back(timed([&] { return Login(email, "not the password at all"); }));
    unknown_times.push_back(timed([&] { return Login(unique("ghost") + "@example.com"); }));
  }
  std::sort(wrong_times.begin(), wrong_times.end());
  std::sort(unknown_times.begin(), unknown_times.end());
  const double wrong_ms = wrong_times[4];
  const double unknown_ms = unknown_times[4];
  EXPECT_GT(wrong_ms, 5.0) << "argon2id should take measurable time";
  EXPECT_LT(wrong_ms / unknown_ms, 2.0) << wrong_ms << " ms vs " << unknown_ms << " ms";
  EXPECT_GT(wrong_ms / unknown_ms, 0.5) << wrong_ms << " ms vs " << unknown_ms << " ms";
}

TEST_P(AuthFlow, SignInAttemptsAreLimitedPerAccountAndPerIp) {
  Start("login_attempts_per_account: 3, login_attempts_per_ip: 6, login_window_s: 60");
  const auto email = unique("limited") + "@example.com";
  ASSERT_EQ(Register(email).status, 201);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Login(email, "wrong wrong wrong").status, 401);
  // The fourth attempt is refused before the password is looked at, even the right one.
  const auto limited = Login(email);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.code(), "rate_limited");
  const int retry = std::stoi(limited.header("Retry-After"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  // Another account from the same address still gets through (2 of 6 IP attempts left).
  const auto other = unique("other") + "@example.com";
  ASSERT_EQ(Register(other).status, 201);
  EXPECT_EQ(Login(other).status, 200);
  EXPECT_EQ(Login(other).status, 200);
  EXPECT_EQ(Login(other).status, 429);  // the address has used its 6
  // Next window: open again; success clears the account's count.
  clock_.advance(61s);
  EXPECT_EQ(Login(email).status, 200);
}

TEST_P(AuthFlow, BehindATrustedProxyEachClientHasItsOwnLimit) {
  // Every request arrives from the proxy, which names the client in X-Forwarded-For.
  const auto proxy = random_ipv4(10);
  Start("login_attempts_per_account: 100, login_attempts_per_ip: 2, login_window_s: 60",
        {"server.trusted_proxies=[\"" + proxy + "\"]"});
  const auto email = unique("proxied") + "@example.com";
  ASSERT_EQ(Register(email).status, 201);
  const auto wrong_password = nlohmann::json{{"email", email}, {"password", "wrong wrong"}}.dump();
  const auto login = [&](const std::string& peer, const std::string& forwarded_for) {
    return call_api(*kernel_, {Method::post,
                               "/api/v1/auth/login",
                               wrong_password,
                               "",
                               peer,
                               {{"x-forwarded-for", forwarded_for}}})
        .status;
  };
  const auto ann = random_ipv4(198), bob = random_ipv4(198);
  EXPECT_EQ(login(proxy, ann), 401);
  EXPECT_EQ(login(proxy, ann), 401);
  EXPECT_EQ(login(proxy, ann), 429) << "Ann used her 2 attempts";
  // Another client behind the same proxy has its own count.
  EXPECT_EQ(login(proxy, bob), 401);
  // A client cannot choose its address: what it wrote left of the proxy's entry is ignored.
  EXPECT_EQ(login(proxy, random_ipv4(203) + ", " + ann), 429);
  // The header from a peer that is not a proxy is not believed: the peer is the client.
  EXPECT_EQ(login(random_ipv4(192), bob), 401);
  EXPECT_EQ(login(proxy, bob), 401) << "Bob has used 1 of 2, not 2";
  EXPECT_EQ(login(proxy, bob), 429);
}

TEST_P(AuthFlow, PasswordChangeSignsOutEveryOtherSession) {
  Start();
  const auto email = unique("pat") + "@example.com";
  const auto signed_up = Register(email);
  ASSERT_EQ(signed_up.status, 201);
  const auto elsewhere = signed_up.body["token"].get<std::string>();
  const auto here = Login(email).body["token"].get<std::string>();

  EXPECT_THAT(
      Call(Method::post, "/api/v1/auth/password",
           {{"current_password", "not it at all"}, {"new_password", "a brand new secret"}}, here)
          .fields(),
      ElementsAre("current_password:incorrect"));
  EXPECT_THAT(
      Call(Method::post, "/api/v1/auth/password", {{"current_password", kPassword}}, here).fields(),
      ElementsAre("new_password:required"));
  EXPECT_THAT(Call(Method::post, "/api/v1/auth/password",
                   {{"current_password", kPassword}, {"new_password", "qwertyuiop123"}}, here)
                  .fields(),
              ElementsAre("new_password:too_common"));
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, elsewhere).status, 200);

  const auto changed =
      Call(Method::post, "/api/v1/auth/password",
           {{"current_password", kPassword}, {"new_password", "a brand new secret"}}, here);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.body["revoked_sessions"], 1);
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, elsewhere).status, 401);
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, here).status, 200);
  EXPECT_EQ(Login(email).status, 401);
  EXPECT_EQ(Login(email, "a brand new secret").status, 200);
  // Anonymous callers cannot change anything.
  EXPECT_EQ(Call(Method::post, "/api/v1/auth/password", {{"new_password", "x"}}).status, 401);
}

TEST_P(AuthFlow, SessionsExpireAndSlide) {
  Start();
  const auto email = unique("sly") + "@example.com";
  const auto token = Register(email).body["token"].get<std::string>();
  clock_.advance(29 * 24h);  // used within its 30 days: it slides forward
  ASSERT_EQ(Call(Method::get, "/api/v1/me", nullptr, token).status, 200);
  clock_.advance(29 * 24h);
  ASSERT_EQ(Call(Method::get, "/api/v1/me", nullptr, token).status, 200);
  clock_.advance(31 * 24h);  // unused for longer than its lifetime: gone
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, token).code(), "invalid_token");
}

TEST_P(AuthFlow, AnotherUsersSessionLooksMissing) {
  Start();
  const auto a = Register(unique("a") + "@example.com").body["token"].get<std::string>();
  const auto b = Register(unique("b") + "@example.com").body["token"].get<std::string>();
  const auto b_session =
      Call(Method::get, "/api/v1/me/sessions", nullptr, b).body["sessions"][0]["id"];
  const auto path = "/api/v1/me/sessions/" + std::to_string(b_session.get<std::int64_t>());
  const auto refused = Call(Method::delete_, path, nullptr, a);
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(refused.code(), "not_found");
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, b).status, 200);  // untouched
  EXPECT_EQ(Call(Method::delete_, "/api/v1/me/sessions/999999999", nullptr, a).status, 404);
  EXPECT_EQ(Call(Method::delete_, "/api/v1/me/sessions/abc", nullptr, a).status, 404);
  EXPECT_EQ(Call(Method::delete_, path, nullptr, b).status, 204);
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, b).status, 401);
}

TEST_P(AuthFlow, AdminsListChangeRolesAndSuspend) {
  Start();
  const auto admin = AdminToken();
  const auto prefix = unique("team");
  std::vector<std::int64_t> ids;
  std::string learner_token;
  for (int i = 0; i < 5; ++i) {
    const auto r = Register(prefix + "-" + std::to_string(i) + "@example.com");
    ASSERT_EQ(r.status, 201);
    ids.push_back(r.body["user"]["id"].get<std::int64_t>());
    if (i == 0) learner_token = r.body["token"].get<std::string>();
  }
  // Pages of two, by id, filtered by email prefix.
  std::vector<std::int64_t> seen;
  std::string cursor;
  for (int page = 0; page < 4; ++page) {
    const auto r = Call(
        Method::get,
        "/api/v1/admin/users?limit=2&q=" + prefix + (cursor.empty() ? "" : "&cursor=" + cursor),
        nullptr, admin);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& u : r.body["users"]) seen.push_back(u["id"].get<std::int64_t>());
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen, ids);
  EXPECT_THAT(
      Call(Method::get, "/api/v1/admin/users?limit=0&role=owner&status=x", nullptr, admin).fields(),
      ElementsAre("limit:out_of_range", "role:invalid_role", "status:invalid_status"));
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/users", nullptr, learner_token).status, 403);

  // A role change shows in the user's next request, cached session or not.
  const auto target = "/api/v1/admin/users/" + std::to_string(ids[0]);
  ASSERT_EQ(Call(Method::get, "/api/v1/me", nullptr, learner_token).body["user"]["roles"],
            nlohmann::json::array({"learner"}));
  const auto promoted =
      Call(Method::put, target + "/roles", {{"roles", {"creator", "learner"}}}, admin);
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(promoted.body["user"]["roles"], nlohmann::json::array({"creator", "learner"}));
  EXPECT_THAT(Call(Method::put, target + "/roles", {{"roles", {"owner"}}}, admin).fields(),
              ElementsAre("roles:invalid_role"));
  EXPECT_THAT(Call(Method::put, target + "/roles", {{"roles", "admin"}}, admin).fields(),
              ElementsAre("roles:invalid_type"));
  EXPECT_EQ(
      Call(Method::put, "/api/v1/admin/users/999999999/roles", {{"roles", {"learner"}}}, admin)
          .status,
      404);

  // Suspension signs the user out at once and keeps them out; activation lets them back.
  const auto suspended = Call(Method::post, target + "/suspend", nullptr, admin);
  ASSERT_EQ(suspended.status, 200);
  EXPECT_EQ(suspended.body["user"]["status"], "suspended");
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, learner_token).status, 401);
  const auto login = Login(prefix + "-0@example.com");
  EXPECT_EQ(login.status, 403);
  EXPECT_EQ(login.code(), "suspended");
  ASSERT_EQ(Call(Method::post, target + "/activate", nullptr, admin).status, 200);
  EXPECT_EQ(Login(prefix + "-0@example.com").status, 200);
}

TEST_P(AuthFlow, TheLastAdminStays) {
  Start();
  // Only this test's admins matter, but others may exist in a shared schema: make ours the
  // only active ones by suspending the rest is not possible here, so use a fresh database.
  const auto admin_token = AdminToken();
  const auto me = Call(Method::get, "/api/v1/me", nullptr, admin_token).body["user"]["id"];
  const auto self = "/api/v1/admin/users/" + std::to_string(me.get<std::int64_t>());
  const auto self_suspend = Call(Method::post, self + "/suspend", nullptr, admin_token);
  EXPECT_EQ(self_suspend.status, 409);
  EXPECT_EQ(self_suspend.code(), "self_suspension");
  const auto demote = Call(Method::put, self + "/roles", {{"roles", {"learner"}}}, admin_token);
  EXPECT_EQ(demote.status, 409);
  EXPECT_EQ(demote.code(), "last_admin");
  // With a second admin, the first may step down.
  const auto second = AdminToken();
  EXPECT_EQ(Call(Method::put, self + "/roles", {{"roles", {"learner"}}}, second).status, 200);
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/users", nullptr, admin_token).status, 403);
}

TEST_P(AuthFlow, AdminsSwitchPluginsAtRunTimeAndTheSwitchOutlivesTheProcess) {
  Start();
  const auto admin = AdminToken();
  EXPECT_EQ(Call(Method::get, "/api/v1/hello").status, 200);
  const auto off = Call(Method::post, "/api/v1/admin/plugins/hello/disable", nullptr, admin);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.body["plugin"]["state"], "disabled");
  EXPECT_EQ(Call(Method::get, "/api/v1/hello").status, 404);
  EXPECT_EQ(Call(Method::post, "/api/v1/admin/plugins/nope/enable", nullptr, admin).status, 404);
  const auto learner = Register(unique("l") + "@example.com").body["token"].get<std::string>();
  EXPECT_EQ(Call(Method::post, "/api/v1/admin/plugins/hello/enable", nullptr, learner).status, 403);
  EXPECT_EQ(Call(Method::post, "/api/v1/admin/plugins/hello/enable").status, 401);

  // A new process on the same database starts with hello off, whatever the YAML says.
  kernel_->stop();
  kernel_.reset();
  Start();
  EXPECT_EQ(state_of(*kernel_, "hello"), "disabled");
  const auto on = Call(Method::post, "/api/v1/admin/plugins/hello/enable", nullptr, admin);
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(on.body["plugin"]["state"], "running");
  EXPECT_EQ(Call(Method::get, "/api/v1/hello").status, 200);

  // Clearing the switch hands the decision back to the file (which enables hello), at once.
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/hello/disable", nullptr, admin).status, 200);
  const auto cleared = Call(Method::delete_, "/api/v1/admin/plugins/hello/switch", nullptr, admin);
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.body["plugin"]["state"], "running");
  EXPECT_EQ(Call(Method::get, "/api/v1/hello").status, 200);
  EXPECT_TRUE(kernel_->plugin_switches().empty());
  const auto again = Call(Method::delete_, "/api/v1/admin/plugins/hello/switch", nullptr, admin);
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.message(), "plugin 'hello' has no run-time switch");
}

TEST_P(AuthFlow, ApiKeysActAsTheirUserWithinTheirScopes) {
  Start();
  ASSERT_EQ(state_of(*kernel_, "auth-apikey"), "running") << reason_of(*kernel_, "auth-apikey");
  const auto admin = AdminToken();
  const auto learner = Register(unique("svc") + "@example.com");
  const auto learner_token = learner.body["token"].get<std::string>();
  const auto learner_id = learner.body["user"]["id"].get<std::int64_t>();

  // Bad input names every field; nothing is created.
  EXPECT_THAT(
      Call(Method::post, "/api/v1/admin/api-keys", {{"scopes", {"Not A Scope"}}}, admin).fields(),
      ElementsAre("name:required", "scopes:invalid_scope"));
  EXPECT_THAT(Call(Method::post, "/api/v1/admin/api-keys",
                   {{"name", "x"}, {"scopes", {"users:read"}}, {"user_id", 999999999}}, admin)
                  .fields(),
              ElementsAre("user_id:unknown_user"));
  EXPECT_EQ(Call(Method::post, "/api/v1/admin/api-keys", {{"name", "x"}, {"scopes", {"a"}}},
                 learner_token)
                .status,
            403);

  const auto made = Call(Method::post, "/api/v1/admin/api-keys",
                         {{"name", "crm sync"}, {"scopes", {"users:read", "profile"}}}, admin);
  ASSERT_EQ(made.status, 201) << made.body;
  const auto key = made.body["key"].get<std::string>();
  EXPECT_EQ(key.rfind("lore_key_", 0), 0u);
  EXPECT_EQ(made.body["api_key"]["prefix"], key.substr(0, 17));
  EXPECT_TRUE(made.body["api_key"]["last_used_at"].is_null());

  // Within its scopes it acts as the admin who owns it; outside them it is refused.
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/users?limit=1", nullptr, key).status, 200);
  const auto me = Call(Method::get, "/api/v1/me", nullptr, key);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.body["via"], "api_key");
  EXPECT_EQ(me.body["scopes"], nlohmann::json::array({"users:read", "profile"}));
  const auto write =
      Call(Method::put, "/api/v1/admin/users/" + std::to_string(learner_id) + "/roles",
           {{"roles", {"creator"}}}, key);
  EXPECT_EQ(write.status, 403);
  EXPECT_EQ(write.code(), "insufficient_scope");
  EXPECT_EQ(Call(Method::get, "/api/v1/me/sessions", nullptr, key).code(), "insufficient_scope");
  // A key cannot mint keys, whatever its scopes.
  EXPECT_EQ(
      Call(Method::post, "/api/v1/admin/api-keys", {{"name", "y"}, {"scopes", {"a"}}}, key).code(),
      "insufficient_scope");

  // A key for a learner keeps the learner's limits: scopes never add roles.
  const auto learner_key =
      Call(Method::post, "/api/v1/admin/api-keys",
           {{"name", "learner"}, {"scopes", {"users:read"}}, {"user_id", learner_id}}, admin)
          .body["key"]
          .get<std::string>();
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/users", nullptr, learner_key).code(), "forbidden");

  // A key follows its user at once, cached or not: a new role counts from the next request,
  // a suspension refuses the key from the next request (user.changed drops cached copies).
  EXPECT_EQ(Call(Method::put, "/api/v1/admin/users/" + std::to_string(learner_id) + "/roles",
                 {{"roles", {"admin"}}}, admin)
                .status,
            200);
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/users?limit=1", nullptr, learner_key).status, 200);
  EXPECT_EQ(Call(Method::put, "/api/v1/admin/users/" + std::to_string(learner_id) + "/roles",
                 {{"roles", {"learner"}}}, admin)
                .status,
            200);
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/users", nullptr, learner_key).code(), "forbidden");
  EXPECT_EQ(Call(Method::post, "/api/v1/admin/users/" + std::to_string(learner_id) + "/suspend",
                 nullptr, admin)
                .status,
            200);
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/users", nullptr, learner_key).code(), "invalid_token");

  // Listed without secrets, with the last use; revoked at once.
  const auto listed = Call(Method::get, "/api/v1/admin/api-keys", nullptr, admin);
  ASSERT_EQ(listed.status, 200);
  bool found = false;
  for (const auto& k : listed.body["api_keys"]) {
    EXPECT_FALSE(k.contains("key"));
    EXPECT_FALSE(k.contains("key_hash"));
    if (k["id"] == made.body["api_key"]["id"]) {
      found = true;
      EXPECT_EQ(k["last_used_at"], sdk::rfc3339(clock_.now_ms()));
    }
  }
  EXPECT_TRUE(found);
  const auto id = std::to_string(made.body["api_key"]["id"].get<std::int64_t>());
  EXPECT_EQ(Call(Method::delete_, "/api/v1/admin/api-keys/" + id, nullptr, admin).status, 204);
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, key).code(), "invalid_token");
  EXPECT_EQ(Call(Method::delete_, "/api/v1/admin/api-keys/" + id, nullptr, admin).status, 404);
  EXPECT_EQ(Call(Method::get, "/api/v1/me", nullptr, "lore_key_" + std::string(43, 'A')).code(),
            "invalid_token");
}

INSTANTIATE_TEST_SUITE_P(Databases, AuthFlow, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         [](const auto& param_info) {
                           return param_info.param == Dialect::sqlite ? "sqlite" : "mysql";
                         });

}  // namespace
}  // namespace lore::test
