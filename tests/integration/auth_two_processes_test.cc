// Two real `lore` processes sharing MariaDB and Redis, as behind a load balancer: a session
// made by one is valid on the other and its logout seen at once, and the sign-in limits count
// attempts made on either.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "support/http_client.h"
#include "support/lore_process.h"
#include "support/test_config.h"
#include "support/test_database.h"
#include "support/throwaway_servers.h"

namespace lore::test {
namespace {

class TwoProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::mysql();
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
    // A Redis server of its own: every request comes from 127.0.0.1, so the per-IP counter must
    // be this test's alone.
    redis_ = std::make_unique<RedisServer>();
    const std::string extra =
        db_->yaml("cache:\n  url: \"" + redis_->url() + "\"\nauth:\n  session_cache_ms: 0\n");
    const std::string plugins =
        "  auth-password:\n    enabled: true\n    settings: {login_attempts_per_account: 3, "
        "login_attempts_per_ip: 7, login_window_s: 3600}\n";
    for (int i = 0; i < 2; ++i) {
      ports_[i] = free_port();
      auto config =
          dir_.write("lore" + std::to_string(i) + ".yaml", kernel_yaml(ports_[i], plugins, extra));
      processes_[i] =
          std::make_unique<LoreProcess>(std::vector<std::string>{"serve", "-c", config.string()},
                                        dir_.path() / ("lore" + std::to_string(i) + ".log"));
      ASSERT_TRUE(processes_[i]->wait_healthy(ports_[i])) << processes_[i]->log();
    }
  }
  void TearDown() override {
    for (auto& p : processes_)
      if (p && p->running()) {
        p->signal(SIGTERM);
        EXPECT_EQ(p->wait_exit(), 0) << p->log();
      }
  }
  HttpResult post(int process, const std::string& path, const nlohmann::json& body,
                  const std::string& token = "") {
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return http("POST", url(process, path), body.dump(), headers);
  }
  HttpResult me(int process, const std::string& token) {
    return get(url(process, "/api/v1/me"), {{"Authorization", "Bearer " + token}});
  }
  std::string url(int process, const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(ports_[process]) + path;
  }

  std::optional<TestDatabase> db_;
  std::unique_ptr<RedisServer> redis_;
  TempDir dir_;
  std::uint16_t ports_[2] = {0, 0};
  std::unique_ptr<LoreProcess> processes_[2];
};

TEST_F(TwoProcesses, ShareSessionsAndSignInLimits) {
  const std::string email = "two" + std::to_string(std::random_device{}()) + "@example.com";
  const std::string password = "correct horse battery staple";
  auto made = post(0, "/api/v1/auth/register",
                   {{"email", email}, {"password", password}, {"display_name", "Two"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const auto token = made.json()["token"].get<std::string>();

  // Made on the first, valid on the second; logged out on the second, refused on the first.
  EXPECT_EQ(me(1, token).status, 200);
  EXPECT_EQ(me(0, token).status, 200);
  const auto logout = post(1, "/api/v1/auth/logout", nlohmann::json::object(), token);
  EXPECT_EQ(logout.status, 204);
  // No content: no type and no length either (RFC 9110), and the connection stays usable.
  EXPECT_EQ(logout.header("content-type"), "");
  EXPECT_EQ(logout.header("content-length"), "");
  EXPECT_TRUE(logout.body.empty());
  EXPECT_EQ(me(0, token).status, 401);

  // Three wrong attempts, spread over both processes, use up the account's window...
  const nlohmann::json wrong{{"email", email}, {"password", "not the right one at all"}};
  EXPECT_EQ(post(0, "/api/v1/auth/login", wrong).status, 401);
  EXPECT_EQ(post(1, "/api/v1/auth/login", wrong).status, 401);
  EXPECT_EQ(post(0, "/api/v1/auth/login", wrong).status, 401);
  // ...so the fourth is refused on either, even with the right password.
  for (int process : {1, 0}) {
    auto limited = post(process, "/api/v1/auth/login", {{"email", email}, {"password", password}});
    EXPECT_EQ(limited.status, 429) << limited.body;
    EXPECT_EQ(limited.json()["error"]["code"], "rate_limited");
    const int retry = std::stoi(limited.header("retry-after"));
    EXPECT_GE(retry, 1);
    EXPECT_LE(retry, 3600);
  }
  // The address has made 5 attempts of its 7: two more on other accounts, then it is refused.
  const nlohmann::json nobody{{"email", "nobody@example.com"}, {"password", "whatever it is"}};
  EXPECT_EQ(post(1, "/api/v1/auth/login", nobody).status, 401);
  EXPECT_EQ(post(0, "/api/v1/auth/login", nobody).status, 401);
  EXPECT_EQ(post(1, "/api/v1/auth/login", nobody).status, 429);
}

}  // namespace
}  // namespace lore::test
