#include "support/api_fixture.h"

#include <cstdlib>

#include "accounts/account_service.h"
#include "support/in_process.h"

namespace lore::test {

void ApiFixture::SetUp() {
  db_ = TestDatabase::of(GetParam());
  if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
}

void ApiFixture::Start(const std::string& plugins_yaml, const std::vector<std::string>& must_run) {
  // A shared test server can stall for a moment while other suites drop their schemas: these
  // tests are about routes, so they wait for a connection instead of answering 503.
  std::string extra = db_->yaml("  lease_timeout_ms: 10000\n");
  // MariaDB runs with the shared Redis cache, as a production site would.
  if (const char* redis = std::getenv("LORE_TEST_REDIS_URL");
      redis != nullptr && GetParam() == sdk::db::Dialect::mysql)
    extra += std::string("cache:\n  url: \"") + redis + "\"\n";
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

ApiAnswer ApiFixture::Call(sdk::http::Method method, const std::string& path,
                           const std::string& who, const nlohmann::json& body) {
  return call_api(*kernel_, {method, path, body.is_null() ? "" : body.dump(),
                             who.empty() ? "" : tokens_.at(who)});
}

std::string dialect_name(const ::testing::TestParamInfo<sdk::db::Dialect>& param) {
  return std::string(sdk::db::to_string(param.param));
}

}  // namespace lore::test
