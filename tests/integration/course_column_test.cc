// course-column (专栏) through the catalog routes, on SQLite and MariaDB: Markdown rendered
// inert, trial articles open to everyone, paid ones behind the engine, drip every N days on the
// test clock, reading progress to completion.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/api_fixture.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

class Column : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    Start("  course-column: { enabled: true }\n", {"course-column"});
    Person("writer", {"creator"});
    Person("reader", {"learner"});
    Person("admin", {"admin"});
  }
};

const nlohmann::json kColumn = {
    {"type", "column"},
    {"title", "程序员的成长"},
    {"price", {{"amount_minor", 19900}, {"currency", "CNY"}}},
    {"content",
     {{"every_days", 7},
      {"articles",
       {{{"id", "preface"},
         {"title", "开篇词"},
         {"trial", true},
         {"body",
          "# Hello\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) "
          "<img src=x onerror=alert(2)>\n\n![pic](javascript:alert(3))"}},
        {{"id", "week-1"}, {"title", "第一周"}, {"body", "**Bold** start."}},
        {{"id", "week-2"}, {"title", "第二周"}, {"body", "Second."}},
        {{"id", "week-3"}, {"title", "第三周"}, {"body", "Third."}}}}}}};

TEST_P(Column, MarkdownComesOutInert) {
  const auto made = Call(Method::post, "/api/v1/courses", "writer", kColumn);
  ASSERT_EQ(made.status, 201) << made.raw.body;
  const auto id = std::to_string(made.body["course"]["id"].get<std::int64_t>());
  ASSERT_EQ(Call(Method::post, "/api/v1/courses/" + id + "/publish", "writer").status, 200);

  const auto preface = Call(Method::get, "/api/v1/courses/" + id + "/items/preface");
  ASSERT_EQ(preface.status, 200) << preface.raw.body;
  const auto html = preface.body["article"]["html"].get<std::string>();
  EXPECT_THAT(html, HasSubstr("<h1>Hello</h1>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("javascript:")));
  EXPECT_THAT(html, Not(HasSubstr("onerror")));
  EXPECT_THAT(html, Not(HasSubstr("<img src=x")));
  EXPECT_THAT(html, HasSubstr("<a href=\"\">click</a>"));
  EXPECT_EQ(preface.body["article"]["trial"], true);
  EXPECT_EQ(preface.body["access"]["reason"], "free_preview");
}

TEST_P(Column, TrialsAreFreeAndTheRestDripsWeekly) {
  const auto made = Call(Method::post, "/api/v1/courses", "writer", kColumn);
  ASSERT_EQ(made.status, 201) << made.raw.body;
  const auto id = std::to_string(made.body["course"]["id"].get<std::int64_t>());
  ASSERT_EQ(Call(Method::post, "/api/v1/courses/" + id + "/publish", "writer").status, 200);

  // The outline shows titles, trial flags and reading time; no article body, no HTML.
  const auto page = Call(Method::get, "/api/v1/courses/" + id);
  ASSERT_EQ(page.status, 200) << page.raw.body;
  EXPECT_EQ(page.body["outline"]["articles"].size(), 4u);
  EXPECT_EQ(page.body["outline"]["articles"][0]["trial"], true);
  EXPECT_EQ(page.body["outline"]["articles"][1]["reading_minutes"], 1);
  EXPECT_THAT(page.raw.body, Not(HasSubstr("Bold")));
  std::vector<std::int64_t> drip;
  for (const auto& item : page.body["items"]) drip.push_back(item["release_after_days"]);
  EXPECT_THAT(drip, ElementsAre(0, 0, 7, 14)) << "paid articles one a week";

  EXPECT_EQ(Call(Method::get, "/api/v1/courses/" + id + "/items/week-1", "reader").code(),
            "purchase_required");
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/courses/" + id + "/entitlements", "admin",
                 {{"user_id", ids_.at("reader")}})
                .status,
            200);
  const auto first = Call(Method::get, "/api/v1/courses/" + id + "/items/week-1", "reader");
  ASSERT_EQ(first.status, 200) << first.raw.body;
  EXPECT_THAT(first.body["article"]["html"].get<std::string>(), HasSubstr("<strong>Bold</strong>"));
  const auto second = Call(Method::get, "/api/v1/courses/" + id + "/items/week-2", "reader");
  EXPECT_EQ(second.code(), "not_released");
  EXPECT_EQ(second.body["error"]["details"]["available_at"],
            sdk::rfc3339(clock_.now_ms() + 7 * kDayMs));

  // Reading to the end, a week at a time.
  const auto read = [&](const std::string& article) {
    return Call(Method::post, "/api/v1/courses/" + id + "/items/" + article + "/progress", "reader",
                {{"read", true}});
  };
  EXPECT_EQ(read("preface").status, 200);
  EXPECT_EQ(read("week-1").body["progress"]["state"]["articles_read"], 2);
  EXPECT_EQ(read("week-2").status, 403);
  clock_.advance(std::chrono::milliseconds(14 * kDayMs));
  EXPECT_EQ(read("week-2").status, 200);
  const auto last = read("week-3");
  ASSERT_EQ(last.status, 200) << last.raw.body;
  EXPECT_EQ(last.body["progress"]["course_completed"], true);
  EXPECT_DOUBLE_EQ(last.body["progress"]["course_fraction"].get<double>(), 1.0);
}

TEST_P(Column, BadArticlesAreNamedByPath) {
  auto body = kColumn;
  body["content"]["every_days"] = 0;
  body["content"]["articles"][1]["id"] = "Week 1";
  body["content"]["articles"][2].erase("body");
  body["content"]["articles"][3]["id"] = "preface";
  body["content"]["articles"][3]["release_after_days"] = -1;
  const auto refused = Call(Method::post, "/api/v1/courses", "writer", body);
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.fields(),
              ElementsAre("content.every_days:invalid_value", "content.articles[1].id:invalid_id",
                          "content.articles[2].body:required", "content.articles[3].id:duplicate",
                          "content.articles[3].release_after_days:invalid_value"));
  body = kColumn;
  body["content"]["articles"] = nlohmann::json::array();
  EXPECT_THAT(Call(Method::post, "/api/v1/courses", "writer", body).fields(),
              ElementsAre("content.articles:required"));
}

INSTANTIATE_TEST_SUITE_P(, Column, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
