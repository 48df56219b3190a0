// course-live through the catalog routes, on SQLite and MariaDB: seats are never oversold
// under concurrent reservations, the join link appears for seat holders from N minutes before
// the start, and the replay after the end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "catalog/catalog_service.h"
#include "support/api_fixture.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class Live : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    Start("  course-live: { enabled: true }\n", {"course-live"});
    Person("host", {"creator"});
    Person("admin", {"admin"});
    starts_ = clock_.now_ms() + 2 * 3600 * 1000;  // in two hours
    const nlohmann::json body = {{"type", "live"},
                                 {"title", "Ask me anything"},
                                 {"price", {{"amount_minor", 5000}, {"currency", "CNY"}}},
                                 {"content",
                                  {{"sessions",
                                    {{{"id", "ama-1"},
                                      {"title", "First AMA"},
                                      {"starts_at_ms", starts_},
                                      {"duration_min", 60},
                                      {"capacity", 5},
                                      {"join_url", "https://meet.example.com/ama-1"},
                                      {"replay_url", "https://video.example.com/ama-1"}}}}}}};
    const auto made = Call(Method::post, "/api/v1/courses", "host", body);
    ASSERT_EQ(made.status, 201) << made.raw.body;
    course_ = made.body["course"]["id"].get<std::int64_t>();
    ASSERT_EQ(Call(Method::post, path("/publish"), "host").status, 200);
  }

  std::string path(const std::string& rest = "") {
    return "/api/v1/courses/" + std::to_string(course_) + rest;
  }
  void Entitle(const std::string& who) {
    Grant grant;
    grant.user_id = ids_.at(who);
    grant.course_id = course_;
    kernel_->catalog().grant(grant);
  }
  ApiAnswer Seat(const std::string& who, const std::string& action = "reserve") {
    return Call(Method::post, path("/items/ama-1/progress"), who, {{"seat", action}});
  }

  std::int64_t course_ = 0;
  std::int64_t starts_ = 0;
};

TEST_P(Live, ConcurrentReservationsNeverOversell) {
  constexpr int kLearners = 16;  // for 5 seats
  for (int i = 0; i < kLearners; ++i) {
    Person("l" + std::to_string(i), {"learner"});
    Entitle("l" + std::to_string(i));
  }
  std::atomic<int> seated{0}, full{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kLearners; ++i)
    threads.emplace_back([&, i] {
      const auto answer = Seat("l" + std::to_string(i));
      if (answer.status == 200)
        ++seated;
      else if (answer.status == 409 && answer.code() == "session_full")
        ++full;
      else
        ++other;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(seated, 5);
  EXPECT_EQ(full, kLearners - 5);
  EXPECT_EQ(other, 0);
  const auto rows = kernel_->database()
                        .session()
                        .query_one("SELECT COUNT(*) AS n FROM course_live_seats")
                        ->get<std::int64_t>("n");
  EXPECT_EQ(rows, 5);
  const auto page = Call(Method::get, path());
  EXPECT_EQ(page.body["outline"]["sessions"][0]["seats_left"], 0);

  // A seat given back goes to the next one; asking twice does not take two.
  std::string holder, waiting;
  for (int i = 0; i < kLearners; ++i) {
    const auto who = "l" + std::to_string(i);
    const bool has = Call(Method::get, path("/items/ama-1"), who).body["session"]["seat"];
    (has ? holder : waiting) = who;
  }
  ASSERT_EQ(Seat(holder, "release").status, 200);
  ASSERT_EQ(Seat(waiting).status, 200);
  ASSERT_EQ(Seat(waiting).status, 200);
  EXPECT_EQ(Call(Method::get, path()).body["outline"]["sessions"][0]["seats_left"], 0);
  EXPECT_EQ(Seat(holder).code(), "session_full");
}

TEST_P(Live, TheJoinLinkOpensForSeatHoldersThenTheReplay) {
  Person("ana", {"learner"});
  Person("ben", {"learner"});
  EXPECT_EQ(Seat("ana").code(), "purchase_required");
  Entitle("ana");
  Entitle("ben");
  ASSERT_EQ(Seat("ana").status, 200);

  const auto early = Call(Method::get, path("/items/ama-1"), "ana");
  ASSERT_EQ(early.status, 200) << early.raw.body;
  EXPECT_EQ(early.body["session"]["state"], "scheduled");
  EXPECT_EQ(Call(Method::post, path("/items/ama-1/progress"), "ana", {{"attended", true}}).code(),
            "not_started");
  EXPECT_FALSE(early.body["session"].contains("join_url"));
  EXPECT_THAT(Call(Method::get, path()).raw.body, Not(HasSubstr("meet.example.com")));

  clock_.advance(std::chrono::milliseconds(2 * 3600 * 1000 - 15 * 60 * 1000));  // 15 min before
  const auto open = Call(Method::get, path("/items/ama-1"), "ana");
  EXPECT_EQ(open.body["session"]["state"], "open");
  EXPECT_EQ(open.body["session"]["join_url"], "https://meet.example.com/ama-1");
  const auto no_seat = Call(Method::get, path("/items/ama-1"), "ben");
  EXPECT_FALSE(no_seat.body["session"].contains("join_url")) << "the link is the seat";
  EXPECT_EQ(Call(Method::get, path("/items/ama-1"), "host").body["session"]["join_url"],
            "https://meet.example.com/ama-1");

  clock_.advance(75min);  // past the end
  const auto after = Call(Method::get, path("/items/ama-1"), "ana");
  EXPECT_EQ(after.body["session"]["state"], "ended");
  EXPECT_EQ(after.body["session"]["replay_url"], "https://video.example.com/ama-1");
  EXPECT_FALSE(after.body["session"].contains("join_url"));
  EXPECT_EQ(Seat("ben").code(), "session_ended");

  const auto attended =
      Call(Method::post, path("/items/ama-1/progress"), "ana", {{"attended", true}});
  ASSERT_EQ(attended.status, 200) << attended.raw.body;
  EXPECT_EQ(attended.body["progress"]["course_completed"], true);
}

TEST_P(Live, AFreePreviewSessionGivesNoSeatToNonBuyers) {
  Person("ana", {"learner"});
  nlohmann::json content = {{"sessions",
                             {{{"id", "ama-1"},
                               {"title", "Open house"},
                               {"starts_at_ms", starts_},
                               {"duration_min", 60},
                               {"capacity", 5},
                               {"join_url", "https://meet.example.com/ama-1"},
                               {"free_preview", true}}}}};
  ASSERT_EQ(Call(Method::patch, path(), "host", {{"content", content}}).status, 200);
  EXPECT_EQ(Call(Method::get, path("/items/ama-1"), "ana").status, 200) << "the page is open";
  EXPECT_EQ(Seat("ana").code(), "purchase_required") << "a seat is not";
  Entitle("ana");
  EXPECT_EQ(Seat("ana").status, 200);
}

TEST_P(Live, EditsKeepTheSeatsTaken) {
  Person("ana", {"learner"});
  Entitle("ana");
  ASSERT_EQ(Seat("ana").status, 200);
  nlohmann::json content = {{"sessions",
                             {{{"id", "ama-2"},
                               {"title", "Another"},
                               {"starts_at_ms", starts_},
                               {"duration_min", 30},
                               {"capacity", 3},
                               {"join_url", "https://meet.example.com/ama-2"}}}}};
  EXPECT_EQ(Call(Method::patch, path(), "host", {{"content", content}}).code(),
            "session_has_seats");
  content["sessions"].push_back({{"id", "ama-1"},
                                 {"title", "First AMA"},
                                 {"starts_at_ms", starts_},
                                 {"duration_min", 60},
                                 {"capacity", 1},
                                 {"join_url", "https://meet.example.com/ama-1"}});
  const auto edited = Call(Method::patch, path(), "host", {{"content", content}});
  ASSERT_EQ(edited.status, 200) << edited.raw.body;
  const auto page = Call(Method::get, path());
  EXPECT_EQ(page.body["outline"]["sessions"][1]["id"], "ama-1");
  EXPECT_EQ(page.body["outline"]["sessions"][1]["seats_left"], 0) << "1 seat, taken by ana";
  content["sessions"][1]["capacity"] = 0;
  EXPECT_THAT(Call(Method::patch, path(), "host", {{"content", content}}).fields(),
              ElementsAre("content.sessions[1].capacity:invalid_value"));
}

INSTANTIATE_TEST_SUITE_P(, Live, ::testing::Values(Dialect::sqlite, Dialect::mysql), dialect_name);

}  // namespace
}  // namespace lore::test
