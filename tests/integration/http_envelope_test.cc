// The real binary over real HTTP: kernel routes, a plugin route and the error envelope.
#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/lore_process.h"
#include "support/test_config.h"

namespace lore::test {
namespace {

class LoreServer : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    auto config = dir_.write(
        "lore.yaml",
        kernel_yaml(port_, "  hello: { enabled: true }\n",
                    "database:\n  url: \"sqlite://" + (dir_.path() / "lore.db").string() + "\"\n"));
    admin_token_ = create_user_token(config, "admin@example.com", {"admin"});
    process_ = std::make_unique<LoreProcess>(
        std::vector<std::string>{"serve", "-c", config.string()}, dir_.path() / "lore.log");
    ASSERT_TRUE(process_->wait_healthy(port_)) << process_->log();
  }
  void TearDown() override {
    if (process_ && process_->running()) {
      process_->signal(SIGTERM);
      auto status = process_->wait_exit();
      EXPECT_EQ(status, 0) << process_->log();
    }
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  static void expect_envelope(const HttpResult& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
    auto body = r.json();
    ASSERT_TRUE(body.contains("error")) << r.body;
    EXPECT_EQ(body["error"]["code"], code);
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
    EXPECT_EQ(body["error"]["request_id"], r.header("x-request-id"));
  }

  TempDir dir_;
  std::string admin_token_;
  std::uint16_t port_ = 0;
  std::unique_ptr<LoreProcess> process_;
};

TEST_F(LoreServer, ServesHealthAndPluginRoute) {
  auto health = get(url("/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json()["status"], "ok");
  EXPECT_EQ(health.header("x-request-id").size(), 16u);

  // One access-log line per request, with its route, latency and request id.
  const std::string id = health.header("x-request-id");
  ASSERT_TRUE(process_->wait_for_log("GET /healthz 200 15B ")) << process_->log();
  EXPECT_NE(process_->log().find("route=/healthz id=" + id), std::string::npos) << process_->log();

  auto hello = get(url("/api/v1/hello?name=Ada%20L"));
  EXPECT_EQ(hello.status, 200) << hello.body;
  EXPECT_EQ(hello.json()["greeting"], "Hello, Ada L!");
  // Query strings are form-encoded: '+' is a space, and a value is decoded exactly once.
  EXPECT_EQ(get(url("/api/v1/hello?name=a%2Bb+c")).json()["greeting"], "Hello, a+b c!");
  EXPECT_EQ(get(url("/api/v1/hello?name=x%2541")).json()["greeting"], "Hello, x%41!");
}

TEST_F(LoreServer, EveryErrorUsesTheEnvelope) {
  expect_envelope(get(url("/no/such/route")), 404, "not_found");
  auto wrong_method = http("DELETE", url("/healthz"));
  expect_envelope(wrong_method, 405, "method_not_allowed");
  EXPECT_EQ(wrong_method.header("allow"), "GET");
  expect_envelope(get(url("/api/v1/plugins")), 401, "unauthenticated");
  expect_envelope(
      get(url("/api/v1/plugins"), {{"Authorization", "Bearer wrong-token-wrong-token"}}), 401,
      "invalid_token");
  expect_envelope(get(url("/api/v1/hello?name=")), 400, "invalid_name");
  expect_envelope(http("POST", url("/api/v1/hello"), std::string(2 << 20, 'x')), 413,
                  "payload_too_large");
}

TEST_F(LoreServer, KeepsAWellFormedRequestId) {
  auto r = get(url("/no/such/route"), {{"X-Request-Id", "trace-42.a_b"}});
  EXPECT_EQ(r.header("x-request-id"), "trace-42.a_b");
  EXPECT_EQ(r.json()["error"]["request_id"], "trace-42.a_b");
  auto forged = get(url("/healthz"), {{"X-Request-Id", "bad id with spaces"}});
  EXPECT_NE(forged.header("x-request-id"), "bad id with spaces");
  EXPECT_EQ(forged.header("x-request-id").size(), 16u);
}

TEST_F(LoreServer, AdminSeesPluginsAndOpenApiListsPluginRoutes) {
  auto plugins = get(url("/api/v1/plugins"), {{"Authorization", "Bearer " + admin_token_}});
  ASSERT_EQ(plugins.status, 200) << plugins.body;
  bool found = false;
  const auto listed = plugins.json();
  for (const auto& p : listed["plugins"]) {
    if (p["name"] != "hello") continue;
    found = true;
    EXPECT_EQ(p["state"], "running");
    EXPECT_EQ(p["version"], "1.1.0");
    EXPECT_EQ(p["routes"], nlohmann::json::array({"GET /api/v1/hello", "POST /api/v1/hello/visits",
                                                  "GET /api/v1/hello/visits"}));
  }
  EXPECT_TRUE(found) << plugins.body;

  auto doc = get(url("/api/v1/openapi.json"));
  ASSERT_EQ(doc.status, 200);
  auto json = doc.json();
  EXPECT_EQ(json["openapi"], "3.0.3");
  EXPECT_TRUE(json["paths"].contains("/api/v1/hello"));
  EXPECT_EQ(json["paths"]["/api/v1/hello"]["get"]["x-lore-owner"], "hello");
  EXPECT_TRUE(json["paths"].contains("/healthz"));
  EXPECT_EQ(json["paths"]["/api/v1/plugins"]["get"]["security"][0].count("bearer"), 1u);
}

TEST_F(LoreServer, MetricsCountRequestsHooksAndPlugins) {
  ASSERT_EQ(get(url("/api/v1/hello")).status, 200);
  auto metrics = get(url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(
      metrics.body.find(
          "lore_http_requests_total{method=\"GET\",route=\"/api/v1/hello\",status=\"200\"} 1"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(
                "lore_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/hello\""),
            std::string::npos);
  EXPECT_NE(metrics.body.find("lore_hook_dispatches_total{hook=\"hello.greeting\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("lore_plugin_state{plugin=\"hello\",state=\"running\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("# TYPE lore_cache_hits_total counter\nlore_cache_hits_total 0\n"),
            std::string::npos);
}

}  // namespace
}  // namespace lore::test
