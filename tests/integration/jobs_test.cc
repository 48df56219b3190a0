// The durable job scheduler on SQLite and on MariaDB: a job runs once, in one process at a
// time; a failed run is retried after a growing backoff and given up after its attempts; a
// process that dies mid-run leaves a lease another process takes over once it runs out, and the
// dead run's late report changes nothing; a recurring job runs again after its interval.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "jobs/job_scheduler.h"
#include "jobs/job_store.h"
#include "support/api_fixture.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using ::testing::HasSubstr;

class Jobs : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    Start("", {});
  }

  JobStore& store() { return kernel_->job_store(); }

  bool Enqueue(const std::string& kind, const std::string& key, int max_attempts = 10) {
    return kernel_->database().transact([&](sdk::db::Transaction& tx) {
      return store().enqueue(tx, {kind, key, "{\"n\":1}", 0, max_attempts});
    });
  }
};

TEST_P(Jobs, AJobRunsOnceAndIsScheduledOnce) {
  JobScheduler scheduler(store(), {});
  std::vector<std::string> ran;
  scheduler.handle("test.echo", [&](const Job& job) { ran.push_back(job.key + job.payload); });
  EXPECT_TRUE(Enqueue("test.echo", "a"));
  EXPECT_FALSE(Enqueue("test.echo", "a")) << "one job per kind and key";
  // A job enqueued in a transaction that rolls back never existed.
  EXPECT_THROW(kernel_->database().transact([&](sdk::db::Transaction& tx) {
    store().enqueue(tx, {"test.echo", "b", "", 0, 10});
    throw std::runtime_error("rolled back");
  }),
               std::runtime_error);
  EXPECT_EQ(scheduler.run_due(), 1);
  EXPECT_THAT(ran, ::testing::ElementsAre("a{\"n\":1}"));
  EXPECT_EQ(scheduler.run_due(), 0);
  EXPECT_FALSE(store().find("test.echo", "a")) << "a one-off job is gone once it succeeded";
  EXPECT_FALSE(store().find("test.echo", "b"));
}

TEST_P(Jobs, AFailedRunIsRetriedWithBackoffThenGivenUp) {
  JobScheduler scheduler(store(), {});
  int runs = 0;
  scheduler.handle("test.flaky", [&](const Job&) {
    ++runs;
    throw std::runtime_error("the provider timed out");
  });
  ASSERT_TRUE(Enqueue("test.flaky", "x", 3));
  EXPECT_EQ(scheduler.run_due(), 0);
  EXPECT_EQ(runs, 1);
  auto job = store().find("test.flaky", "x");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, "ready");
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(job->last_error, "the provider timed out");
  EXPECT_EQ(job->run_at_ms, clock_.now_ms() + 10'000);
  // Not before its backoff.
  clock_.advance(std::chrono::seconds(9));
  scheduler.run_due();
  EXPECT_EQ(runs, 1);
  clock_.advance(std::chrono::seconds(1));
  scheduler.run_due();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(store().find("test.flaky", "x")->run_at_ms, clock_.now_ms() + 20'000);
  clock_.advance(std::chrono::seconds(20));
  scheduler.run_due();
  EXPECT_EQ(runs, 3);
  job = store().find("test.flaky", "x");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, "failed") << "kept, with its error, after its last attempt";
  clock_.advance(std::chrono::hours(2));
  scheduler.run_due();
  EXPECT_EQ(runs, 3);

  EXPECT_EQ(JobStore::backoff_ms(1, 0), 10'000);
  EXPECT_EQ(JobStore::backoff_ms(4, 0), 80'000);
  EXPECT_EQ(JobStore::backoff_ms(30, 0), 3'600'000) << "an hour at most";
  EXPECT_EQ(JobStore::backoff_ms(4, 60'000), 60'000) << "a recurring job's interval at most";
}

TEST_P(Jobs, AJobIsLeasedByOneProcessAndTakenOverWhenItsLeaseRunsOut) {
  JobScheduler::Options options;
  options.lease_ms = 60'000;
  JobScheduler first(store(), options);
  JobScheduler second(store(), options);
  ASSERT_NE(first.owner(), second.owner());
  ASSERT_TRUE(Enqueue("test.slow", "y"));
  // The first process leases it, then dies before reporting.
  const auto leased = store().lease_next(first.owner(), options.lease_ms, {"test.slow"});
  ASSERT_TRUE(leased);
  EXPECT_EQ(leased->lease_owner, first.owner());
  int second_runs = 0;
  second.handle("test.slow", [&](const Job& job) {
    ++second_runs;
    EXPECT_EQ(job.attempts, 2) << "the dead run counts";
  });
  EXPECT_EQ(second.run_due(), 0) << "leased: the other process leaves it";
  EXPECT_EQ(second_runs, 0);
  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(second.run_due(), 1) << "the lease ran out: taken over";
  EXPECT_EQ(second_runs, 1);
  // The first process's late report finds the job no longer its own.
  EXPECT_FALSE(store().succeeded(*leased, first.owner()));
  EXPECT_FALSE(store().failed(*leased, first.owner(), "late"));
}

TEST_P(Jobs, ARecurringJobRunsAgainAfterItsInterval) {
  JobScheduler scheduler(store(), {});
  int runs = 0;
  bool fail = false;
  scheduler.handle("test.tick", [&](const Job&) {
    ++runs;
    if (fail) throw std::runtime_error("down");
  });
  store().ensure_recurring("test.tick", 60'000);
  store().ensure_recurring("test.tick", 60'000);
  EXPECT_EQ(scheduler.run_due(), 1);
  EXPECT_EQ(scheduler.run_due(), 0);
  clock_.advance(std::chrono::seconds(59));
  EXPECT_EQ(scheduler.run_due(), 0);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(scheduler.run_due(), 1);
  EXPECT_EQ(runs, 2);
  // A failing run is retried sooner than its interval, and never given up.
  fail = true;
  clock_.advance(std::chrono::seconds(60));
  scheduler.run_due();
  auto job = store().find("test.tick", "recurring");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, "ready");
  EXPECT_EQ(job->run_at_ms, clock_.now_ms() + 10'000);
  EXPECT_EQ(job->last_error, "down");
  fail = false;
  clock_.advance(std::chrono::seconds(10));
  EXPECT_EQ(scheduler.run_due(), 1);
  job = store().find("test.tick", "recurring");
  EXPECT_EQ(job->attempts, 0);
  EXPECT_EQ(job->last_error, "");
  // A new interval is taken by the existing job.
  store().ensure_recurring("test.tick", 5'000);
  EXPECT_EQ(store().find("test.tick", "recurring")->interval_ms, 5'000);
}

TEST_P(Jobs, AJobOfAKindThisProcessCannotRunIsLeftToAProcessThatCan) {
  JobScheduler without(store(), {});
  without.handle("test.other", [](const Job&) {});
  ASSERT_TRUE(Enqueue("test.unknown", "z", 1));
  EXPECT_EQ(without.run_due(), 0);
  auto job = store().find("test.unknown", "z");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, "ready");
  EXPECT_EQ(job->attempts, 0) << "not leased, so no attempt used up";
  JobScheduler with(store(), {});
  int runs = 0;
  with.handle("test.unknown", [&](const Job&) { ++runs; });
  EXPECT_EQ(with.run_due(), 1);
  EXPECT_EQ(runs, 1);
}

TEST_P(Jobs, EachJobIsLeasedJustBeforeItRuns) {
  JobScheduler::Options options;
  options.lease_ms = 60'000;
  JobScheduler scheduler(store(), options);
  std::vector<std::int64_t> leased_until;
  scheduler.handle("test.long", [&](const Job& job) {
    leased_until.push_back(job.lease_until_ms);
    clock_.advance(std::chrono::seconds(45));  // each run takes 45 s
  });
  ASSERT_TRUE(Enqueue("test.long", "1"));
  ASSERT_TRUE(Enqueue("test.long", "2"));
  const auto start = clock_.now_ms();
  EXPECT_EQ(scheduler.run_due(), 2);
  ASSERT_EQ(leased_until.size(), 2u);
  EXPECT_EQ(leased_until[0], start + 60'000);
  EXPECT_EQ(leased_until[1], start + 45'000 + 60'000)
      << "the second job's lease starts when it does, not when the first did";
}

TEST_P(Jobs, TheKernelSchedulesItsOwnRecurringJobs) {
  auto reconcile = store().find("orders.reconcile", "recurring");
  ASSERT_TRUE(reconcile);
  EXPECT_EQ(reconcile->interval_ms, 60'000);
  auto prune = store().find("idempotency.prune", "recurring");
  ASSERT_TRUE(prune);
  EXPECT_EQ(prune->interval_ms, 3'600'000);
  auto outbox = store().find("outbox.prune", "recurring");
  ASSERT_TRUE(outbox);
  EXPECT_EQ(outbox->interval_ms, 24 * 3'600'000);
  EXPECT_EQ(kernel_->jobs().run_due(), 3);
  EXPECT_EQ(kernel_->jobs().run_due(), 0) << "each waits for its interval";
}

INSTANTIATE_TEST_SUITE_P(, Jobs, ::testing::Values(Dialect::sqlite, Dialect::mysql), dialect_name);

}  // namespace
}  // namespace lore::test
