#include "support/shop_server.h"

#include <csignal>
#include <fstream>
#include <iterator>

namespace lore::test {

void ShopServer::StartShop(const std::string& sandbox_settings, const std::string& auth_settings,
                           const std::string& more_yaml, int workers) {
  db_ = TestDatabase::mysql();
  if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
  port_ = free_port();
  const std::string plugins = "  auth-password:\n    settings: {" + auth_settings +
                              "}\n"
                              "  course-basic: { enabled: true }\n"
                              "  pay-sandbox:\n    settings:\n      webhook_url: \"" +
                              url("/api/v1/payments/sandbox/webhook") +
                              "\"\n      webhook_secret: \"" + kWebhookSecret + "\"\n" +
                              sandbox_settings;
  auto yaml = kernel_yaml(port_, plugins, db_->yaml(more_yaml));
  const auto at = yaml.find("  workers: 4\n");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, 13, "  workers: " + std::to_string(workers) + "\n");
  config_ = dir_.write("lore.yaml", yaml);
  StartServer();
}

void ShopServer::StartServer() {
  ++starts_;
  lore_ = std::make_unique<LoreProcess>(std::vector<std::string>{"serve", "-c", config_.string()},
                                        dir_.path() / ("lore" + std::to_string(starts_) + ".log"));
  ASSERT_TRUE(lore_->wait_healthy(port_, std::chrono::seconds(60))) << lore_->log();
}

void ShopServer::TearDown() {
  if (lore_ && lore_->running()) {
    lore_->signal(SIGTERM);
    EXPECT_EQ(lore_->wait_exit(), 0) << lore_->log();
  }
}

std::string ShopServer::ServerLogs() const {
  std::string all;
  for (int s = 1; s <= starts_; ++s) {
    std::ifstream file(dir_.path() / ("lore" + std::to_string(s) + ".log"));
    all.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return all;
}

std::string ShopServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

HttpResult ShopServer::call(const std::string& method, const std::string& path,
                            const std::string& token, const nlohmann::json& body,
                            std::map<std::string, std::string> headers) {
  headers["Content-Type"] = "application/json";
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  return http(method, url(path), body.is_null() ? std::string() : body.dump(), headers, 30000);
}

}  // namespace lore::test
