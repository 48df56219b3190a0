// `lore admin create-user`: the first admin of a site, from the command line, against the real
// binary on SQLite and MariaDB.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/lore_process.h"
#include "support/test_config.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using ::testing::HasSubstr;

class CliAdmin : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
    config_ = dir_.write("lore.yaml", kernel_yaml(free_port(), "", db_->yaml())).string();
  }
  std::pair<int, std::string> create(std::vector<std::string> args) {
    std::vector<std::string> all{"admin", "create-user", "-c", config_};
    all.insert(all.end(), args.begin(), args.end());
    return run_lore(all);
  }

  std::optional<TestDatabase> db_;
  TempDir dir_;
  std::string config_;
};

TEST_P(CliAdmin, CreatesTheFirstAdminAndPrintsATokenOnce) {
  auto [status, output] = create(
      {"--email", "Root@Example.com", "--display-name", "Root", "--role", "admin", "--token"});
  ASSERT_EQ(status, 0) << output;
  const auto printed = nlohmann::json::parse(output.substr(output.find('{')));
  EXPECT_EQ(printed["user"]["email"], "Root@Example.com");
  EXPECT_EQ(printed["user"]["roles"], nlohmann::json::array({"admin"}));
  EXPECT_EQ(printed["user"]["status"], "active");
  EXPECT_EQ(printed["token"].get<std::string>().rfind("lore_", 0), 0u);

  // Same address in another case: refused, exit 1, nothing printed on stdout as JSON.
  auto [again, message] = create({"--email", "root@example.com", "--role", "admin"});
  EXPECT_EQ(again, 1);
  EXPECT_THAT(message, HasSubstr("duplicate_email (email)"));
}

TEST_P(CliAdmin, RefusesBadInputByField) {
  auto [bad_email, m1] = create({"--email", "not-an-address", "--role", "admin"});
  EXPECT_EQ(bad_email, 1);
  EXPECT_THAT(m1, HasSubstr("invalid_email (email)"));
  auto [bad_role, m2] = create({"--email", "a@b.com", "--role", "owner"});
  EXPECT_EQ(bad_role, 1);
  EXPECT_THAT(m2, HasSubstr("unknown role 'owner' (known: admin, creator, learner)"));
  auto [missing, m3] = create({"--role", "admin"});
  EXPECT_NE(missing, 0);
  EXPECT_THAT(m3, HasSubstr("--email is required"));
}

INSTANTIATE_TEST_SUITE_P(, CliAdmin, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         [](const ::testing::TestParamInfo<Dialect>& param) {
                           return std::string(sdk::db::to_string(param.param));
                         });

}  // namespace
}  // namespace lore::test
