// Accounts and sessions in the kernel's own tables (kernel/migrations/0001_create_accounts.sql),
// on SQLite and MariaDB: case-insensitive unique emails, roles, statuses, hashed sliding
// sessions that any process sharing the database can validate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "accounts/account_error.h"
#include "accounts/session_store.h"
#include "accounts/user_store.h"
#include "core/clocks.h"
#include "support/in_process.h"
#include "support/test_database.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using ::testing::ElementsAre;

class Accounts : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_ = TestDatabase::of(GetParam());
    if (!db_) GTEST_SKIP() << "LORE_TEST_MYSQL_URL is not set (make test sets it)";
    kernel_ = std::make_unique<Kernel>(config_from_yaml(kernel_yaml(0, "", db_->yaml())),
                                       KernelOptions{.serve_http = false, .clock = &clock_});
    kernel_->start();
    users_ = std::make_unique<UserStore>(kernel_->database(), clock_);
    sessions_ = std::make_unique<SessionStore>(kernel_->database(), clock_,
                                               SessionStore::Options{24h, 10min});
  }

  std::string refused(const std::function<void()>& body) {
    try {
      body();
    } catch (const AccountError& e) {
      // A field's own code; 400s answer invalid_request with it in details.fields.
      return (e.fields().empty() ? e.code() : e.fields().front().code) + ":" + e.field();
    }
    return "accepted";
  }

  ManualClock clock_;
  std::optional<TestDatabase> db_;
  std::unique_ptr<Kernel> kernel_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<SessionStore> sessions_;
};

TEST_P(Accounts, EmailsAreUniqueWhateverTheirCase) {
  const auto ann = users_->create({"Ann@Example.com", " Ann ", {"learner", "creator"}});
  EXPECT_GT(ann.id, 0);
  EXPECT_EQ(ann.display_name, "Ann");
  EXPECT_THAT(ann.roles, ElementsAre("creator", "learner"));
  EXPECT_EQ(refused([&] {
              users_->create({"ann@EXAMPLE.com", "Other", {"learner"}});
            }),
            "duplicate_email:email");
  const auto found = users_->find_by_email("ANN@example.COM");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, ann.id);
  EXPECT_EQ(found->email, "Ann@Example.com") << "kept as entered";
  EXPECT_THAT(found->roles, ElementsAre("creator", "learner"));
  EXPECT_EQ(found->status, "active");
}

TEST_P(Accounts, BadInputIsRefusedByFieldAndWritesNothing) {
  for (const char* email :
       {"", "no-at-sign", "@example.com", "a@b", "a@@b.com", "a b@c.com", "a@.com", "a@b.com."})
    EXPECT_EQ(refused([&] {
                users_->create({email, "X", {"learner"}});
              }),
              "invalid_email:email")
        << email;
  EXPECT_EQ(refused([&] {
              users_->create({std::string(65, 'a') + "@b.com", "X", {"learner"}});
            }),
            "invalid_email:email");
  EXPECT_EQ(refused([&] {
              users_->create({"a@b.com", "  ", {"learner"}});
            }),
            "invalid_display_name:display_name");
  EXPECT_EQ(refused([&] {
              users_->create({"a@b.com", std::string(101, 'x'), {"learner"}});
            }),
            "invalid_display_name:display_name");
  EXPECT_EQ(refused([&] { users_->create({"a@b.com", "X", {"owner"}}); }), "invalid_role:roles");
  EXPECT_EQ(refused([&] { users_->create({"a@b.com", "X", {}}); }), "invalid_role:roles");
  EXPECT_EQ(kernel_->database()
                .session()
                .query_one("SELECT COUNT(*) AS n FROM lore_users")
                ->get<std::int64_t>("n"),
            0);
}

TEST_P(Accounts, RolesAndStatusChange) {
  // Another admin, so that Bob may be suspended while he is one (the last one may not be).
  users_->create({"keeper@example.com", "Keeper", {"admin"}});
  const auto bob = users_->create({"bob@example.com", "Bob", {"learner"}});
  EXPECT_THAT(users_->set_roles(bob.id, {"admin", "learner", "admin"}).roles,
              ElementsAre("admin", "learner"));
  EXPECT_EQ(users_->set_status(bob.id, "suspended").status, "suspended");
  EXPECT_EQ(refused([&] { users_->set_status(bob.id, "gone"); }), "invalid_status:status");
  EXPECT_EQ(refused([&] { users_->set_roles(bob.id + 100, {"learner"}); }), "not_found:");
  EXPECT_THAT(users_->find(bob.id)->roles, ElementsAre("admin", "learner"));
}

TEST_P(Accounts, SessionTokensAreRandomStoredHashedAndValidatedByAnyone) {
  const auto ann = users_->create({"ann@example.com", "Ann", {"learner"}});
  const auto a = sessions_->issue(ann.id, "curl/8", "127.0.0.1");
  const auto b = sessions_->issue(ann.id, "firefox", "10.0.0.1");
  EXPECT_NE(a.token, b.token);
  EXPECT_EQ(a.token.rfind("lore_", 0), 0u);
  EXPECT_GE(a.token.size(), 5u + 43u) << "256 bits, base64url";
  // Only the hash is stored.
  auto stored = kernel_->database().session().query("SELECT token_hash FROM lore_sessions");
  ASSERT_EQ(stored.size(), 2u);
  for (const auto& row : stored) {
    EXPECT_NE(row.get<std::string>("token_hash"), a.token);
    EXPECT_EQ(row.get<std::string>("token_hash").size(), 64u);
  }
  // Another process sharing the database (here: another store on another pool) validates it.
  Kernel other(config_from_yaml(kernel_yaml(0, "", db_->yaml())),
               KernelOptions{.serve_http = false, .clock = &clock_});
  other.start();
  SessionStore elsewhere(other.database(), clock_, SessionStore::Options{24h, 10min});
  const auto seen = elsewhere.validate(a.token);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->user_id, ann.id);
  EXPECT_EQ(seen->user_agent, "curl/8");
  EXPECT_FALSE(elsewhere.validate(a.token + "x"));
  EXPECT_FALSE(elsewhere.validate("lore_" + std::string(43, 'A')));
  EXPECT_FALSE(elsewhere.validate("not-a-token"));
}

TEST_P(Accounts, SessionsSlideAndExpire) {
  const auto ann = users_->create({"ann@example.com", "Ann", {"learner"}});
  const auto issued = sessions_->issue(ann.id, "", "");
  const auto first_expiry = issued.session.expires_at_ms;
  clock_.advance(5min);
  EXPECT_EQ(sessions_->validate(issued.token)->expires_at_ms, first_expiry)
      << "no write before slide_every";
  clock_.advance(20h);
  const auto slid = sessions_->validate(issued.token);
  ASSERT_TRUE(slid);
  EXPECT_GT(slid->expires_at_ms, first_expiry) << "used: its expiry moved forward";
  clock_.advance(25h);  // unused longer than the lifetime
  EXPECT_FALSE(sessions_->validate(issued.token));
  EXPECT_TRUE(sessions_->list(ann.id).empty());
}

TEST_P(Accounts, SessionsAreRevokedOnlyByTheirOwner) {
  const auto ann = users_->create({"ann@example.com", "Ann", {"learner"}});
  const auto bob = users_->create({"bob@example.com", "Bob", {"learner"}});
  const auto a1 = sessions_->issue(ann.id, "one", "");
  clock_.advance(1s);
  const auto a2 = sessions_->issue(ann.id, "two", "");
  clock_.advance(1s);
  const auto a3 = sessions_->issue(ann.id, "three", "");
  const auto b1 = sessions_->issue(bob.id, "bob", "");
  EXPECT_FALSE(sessions_->revoke(a1.session.id, bob.id)) << "not Bob's to revoke";
  EXPECT_TRUE(sessions_->validate(a1.token));
  EXPECT_TRUE(sessions_->revoke(a1.session.id, ann.id));
  EXPECT_FALSE(sessions_->revoke(a1.session.id, ann.id)) << "already revoked";
  EXPECT_FALSE(sessions_->validate(a1.token));
  const auto listed = sessions_->list(ann.id);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].user_agent, "three");
  // Logging out everywhere else keeps the current session and Bob's.
  EXPECT_EQ(sessions_->revoke_all(ann.id, a3.session.id), 1);
  EXPECT_FALSE(sessions_->validate(a2.token));
  EXPECT_TRUE(sessions_->validate(a3.token));
  EXPECT_TRUE(sessions_->validate(b1.token));
}

TEST_P(Accounts, SuspendingAUserSignsThemOutEverywhereAndBlocksNewSessions) {
  const auto ann = users_->create({"ann@example.com", "Ann", {"learner"}});
  const auto a = sessions_->issue(ann.id, "", "");
  ASSERT_TRUE(sessions_->validate(a.token));
  users_->set_status(ann.id, "suspended");
  EXPECT_FALSE(sessions_->validate(a.token));
  EXPECT_EQ(refused([&] { sessions_->issue(ann.id, "", ""); }), "suspended:");
  users_->set_status(ann.id, "active");
  EXPECT_FALSE(sessions_->validate(a.token)) << "revoked, not merely paused";
  EXPECT_TRUE(sessions_->validate(sessions_->issue(ann.id, "", "").token));
}

TEST_P(Accounts, ConcurrentSignUpsAllSucceed) {
  // Two at a time on InnoDB once deadlocked on the roles table (a DELETE of no rows takes a gap
  // lock); every one of these must succeed on the first database round.
  constexpr int kThreads = 4, kEach = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        try {
          users_->create({"u" + std::to_string(t) + "-" + std::to_string(i) + "@example.com",
                          "U",
                          {"learner", "creator"}});
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(kernel_->database()
                .session()
                .query_one("SELECT COUNT(*) AS n FROM lore_user_roles")
                ->get<std::int64_t>("n"),
            kThreads * kEach * 2);
}

TEST_P(Accounts, TextThatIsNotUtf8IsRefusedOrCleanedTheSameOnBothDatabases) {
  EXPECT_EQ(refused([&] {
              users_->create({"caf\xe9@example.com", "X", {"learner"}});
            }),
            "invalid_email:email");
  EXPECT_EQ(refused([&] {
              users_->create({"a@example.com", "caf\xe9", {"learner"}});
            }),
            "invalid_display_name:display_name");
  const auto ann = users_->create({"ann@example.com", "Zoë 知识", {"learner"}});
  EXPECT_EQ(users_->find(ann.id)->display_name, "Zoë 知识");
  // A user agent with a stray byte, and one cut in the middle of a character at 255 bytes.
  const auto a = sessions_->issue(ann.id, "Mozilla \xe9t\xe9", "");
  EXPECT_EQ(sessions_->validate(a.token)->user_agent, "Mozilla ?t?");
  const auto b = sessions_->issue(ann.id, std::string(254, 'x') + "é", "");
  EXPECT_EQ(sessions_->validate(b.token)->user_agent, std::string(254, 'x'));
}

TEST_P(Accounts, TheLastActiveAdminCanBeNeitherSuspendedNorDemoted) {
  const auto only = users_->create({"root@example.com", "Root", {"admin"}});
  EXPECT_EQ(refused([&] { users_->set_status(only.id, "suspended"); }), "last_admin:");
  EXPECT_EQ(refused([&] { users_->set_roles(only.id, {"learner"}); }), "last_admin:");
  EXPECT_EQ(users_->find(only.id)->status, "active");
  const auto second = users_->create({"second@example.com", "Second", {"admin", "learner"}});
  EXPECT_EQ(refused([&] { users_->set_status(only.id, "suspended"); }), "accepted");
  EXPECT_EQ(refused([&] { users_->set_status(second.id, "suspended"); }), "last_admin:");
  // Learners are not guarded: there is nothing to keep.
  const auto learner = users_->create({"l@example.com", "L", {"learner"}});
  EXPECT_EQ(refused([&] { users_->set_status(learner.id, "suspended"); }), "accepted");
}

INSTANTIATE_TEST_SUITE_P(, Accounts, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         [](const ::testing::TestParamInfo<Dialect>& param) {
                           return std::string(sdk::db::to_string(param.param));
                         });

}  // namespace
}  // namespace lore::test
