#include "support/api_fixture.h"

#include <unistd.h>

#include <cstdlib>

#include "accounts/account_service.h"
#include "support/in_process.h"

namespace lore::test {

namespace {
int kernels_started = 0;
}  // namespace

void ApiFixture::SetUp() {
  db_ = TestDatabase::of(GetParam());
  if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
}

void ApiFixture::Start(const std::string& plugins_yaml, const std::vector<std::string>& must_run) {
  std::string extra = db_->yaml();
  // MariaDB runs with the shared Redis cache, as a production site would.
  if (const char* redis = std::getenv("LORE_TEST_REDIS_URL");
      redis != nullptr && GetParam() == sdk::db::Dialect::mysql)
    // Test databases share one Redis: each kernel gets keys of its own, or a course cached as
    // id 1 by one test would be read by the next test's course 1 (seen as a flaky 503: another
    // test's course of a type this kernel does not run).
    cache_yaml_ = std::string("cache:\n  url: \"") + redis + "\"\n  key_prefix: \"lore:t" +
                  std::to_string(++kernels_started) + "_" + std::to_string(::getpid()) + ":\"\n";
  extra += cache_yaml_;
  kernel_ = std::make_unique<Kernel>(config_from_yaml(kernel_yaml(0, plugins_yaml, extra)),
                                     KernelOptions{.serve_http = false, .clock = &clock_});
  kernel_->start();
  for (const auto& plugin : must_run)
    ASSERT_EQ(state_of(*kernel_, plugin), "running") << reason_of(*kernel_, plugin);
}

void ApiFixture::Person(const std::string& name, std::vector<std::string> roles) {
  auto& accounts = kernel_->accounts();
  const auto id = accounts.users().create({name + "@api.test", name, std::move(roles)}).id;
  ids_[name] = id;
  tokens_[name] = accounts.sessions().issue(id, "test", "").token;
}

std::int64_t ApiFixture::BasicCourse(const std::string& creator, const std::string& title,
                                     std::int64_t amount_minor, const std::string& currency) {
  const nlohmann::json body = {
      {"type", "basic"},
      {"title", title},
      {"price", {{"amount_minor", amount_minor}, {"currency", currency}}},
      {"content",
       {{"items",
         {{{"id", "intro"}, {"title", "Intro"}, {"body", "Welcome"}, {"free_preview", true}},
          {{"id", "one"}, {"title", "One"}, {"body", "The first lesson"}}}}}}};
  auto created = Call(sdk::http::Method::post, "/api/v1/courses", creator, body);
  EXPECT_EQ(created.status, 201) << created.raw.body;
  if (created.status != 201) return 0;
  const auto id = created.body["course"]["id"].get<std::int64_t>();
  EXPECT_EQ(
      Call(sdk::http::Method::post, "/api/v1/courses/" + std::to_string(id) + "/publish", creator)
          .status,
      200);
  return id;
}

ApiAnswer ApiFixture::Call(sdk::http::Method method, const std::string& path,
                           const std::string& who, const nlohmann::json& body) {
  return call_api(*kernel_, {method, path, body.is_null() ? "" : body.dump(),
                             who.empty() ? "" : tokens_.at(who)});
}

std::string dialect_name(const ::testing::TestParamInfo<sdk::db::Dialect>& param) {
  return std::string(sdk::db::to_string(param.param));
}

}  // namespace lore::test
