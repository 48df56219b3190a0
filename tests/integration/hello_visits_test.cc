// The example plugin's table, migration and cache, end to end on SQLite and MariaDB: visits are
// counted exactly under concurrency, and the cached list is never stale once a write has
// committed (invalidation runs after commit, through the hello.visited hook).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/in_process.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
namespace sh = sdk::http;

class HelloVisits : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
    kernel_ = std::make_unique<Kernel>(
        config_from_yaml(kernel_yaml(0,
                                     "  hello:\n    settings:\n      visits_cache_ttl_ms: 600000\n",
                                     db_->yaml("  pool_size: 4\n"))),
        KernelOptions{.serve_http = false});
    kernel_->start();
    ASSERT_EQ(state_of(*kernel_, "hello"), "running") << reason_of(*kernel_, "hello");
  }

  sh::Response visit(const std::string& name) {
    auto r = request(sh::Method::post, "/api/v1/hello/visits");
    r.body = nlohmann::json{{"name", name}}.dump();
    return kernel_->handle(std::move(r));
  }
  nlohmann::json list(int limit = 100) {
    auto response = kernel_->handle(
        request(sh::Method::get, "/api/v1/hello/visits", {{"limit", std::to_string(limit)}}));
    EXPECT_EQ(response.status, 200) << response.body;
    return nlohmann::json::parse(response.body);
  }
  std::int64_t visits_of(const nlohmann::json& listed, const std::string& name) {
    for (const auto& v : listed["visitors"])
      if (v["name"] == name) return v["visits"].get<std::int64_t>();
    return 0;
  }

  std::optional<TestDatabase> db_;
  std::unique_ptr<Kernel> kernel_;
};

TEST_P(HelloVisits, CountsAndListsMostFrequentFirst) {
  EXPECT_EQ(visit("ann").status, 201);
  const auto second = visit("ann");
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(nlohmann::json::parse(second.body)["visits"], 2);
  EXPECT_EQ(visit("bob").status, 201);
  const auto listed = list();
  ASSERT_EQ(listed["visitors"].size(), 2u);
  EXPECT_EQ(listed["visitors"][0]["name"], "ann");
  EXPECT_EQ(listed["visitors"][0]["visits"], 2);
  EXPECT_EQ(list(1)["visitors"].size(), 1u);
}

TEST_P(HelloVisits, RejectsBadInputWithoutWriting) {
  auto bad = request(sh::Method::post, "/api/v1/hello/visits");
  bad.body = R"({"name": 42})";
  EXPECT_EQ(kernel_->handle(std::move(bad)).status, 400);
  EXPECT_EQ(visit(std::string(65, 'x')).status, 400);
  EXPECT_EQ(
      kernel_->handle(request(sh::Method::get, "/api/v1/hello/visits", {{"limit", "0"}})).status,
      400);
  EXPECT_TRUE(list()["visitors"].empty());
}

TEST_P(HelloVisits, CachedListIsFreshAfterEveryCommitUnderConcurrentWritesAndReads) {
  list();  // cache the empty list (TTL ten minutes: only invalidation can refresh it)
  constexpr int kWriters = 4, kVisitsEach = 25;
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < kVisitsEach; ++i)
        if (visit(w % 2 == 0 ? "ann" : "bob").status != 201) ++failures;
    });
  std::thread reader([&] {
    while (writing) list();
  });
  for (auto& t : threads) t.join();
  writing = false;
  reader.join();
  EXPECT_EQ(failures, 0);
  // Every write committed before this read; had any invalidation run before its commit, a
  // concurrent reader could have cached older counts for ten minutes.
  const auto listed = list();
  EXPECT_EQ(visits_of(listed, "ann"), kWriters / 2 * kVisitsEach);
  EXPECT_EQ(visits_of(listed, "bob"), kWriters / 2 * kVisitsEach);
  EXPECT_GT(kernel_->cache().stats().hits, 0u) << "the list was never served from the cache";
}

INSTANTIATE_TEST_SUITE_P(, HelloVisits, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         [](const ::testing::TestParamInfo<Dialect>& param) {
                           return std::string(sdk::db::to_string(param.param));
                         });

}  // namespace
}  // namespace lore::test
