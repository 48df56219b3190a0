// course-video through the catalog routes, on SQLite and MariaDB: the outline hides media
// paths, lessons come as signed expiring links that the plugin's media route checks, and
// positions complete lessons.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/api_fixture.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class Video : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    Start(
        "  course-video:\n    enabled: true\n    settings: "
        "{signing_secret: \"test secret\", link_lifetime_s: 60}\n",
        {"course-video"});
    Person("teacher", {"creator"});
    Person("student", {"learner"});
    Person("admin", {"admin"});
    const auto made = Call(Method::post, "/api/v1/courses", "teacher", kCourse);
    ASSERT_EQ(made.status, 201) << made.raw.body;
    id_ = std::to_string(made.body["course"]["id"].get<std::int64_t>());
    ASSERT_EQ(Call(Method::post, "/api/v1/courses/" + id_ + "/publish", "teacher").status, 200);
  }

  const nlohmann::json kCourse = {{"type", "video"},
                                  {"title", "Go, filmed"},
                                  {"price", {{"amount_minor", 29900}, {"currency", "CNY"}}},
                                  {"content",
                                   {{"sections",
                                     {{{"title", "Basics"},
                                       {"lessons",
                                        {{{"id", "welcome"},
                                          {"title", "Welcome"},
                                          {"duration_s", 120},
                                          {"media", "go/welcome.mp4"},
                                          {"free_preview", true}},
                                         {{"id", "types"},
                                          {"title", "Types"},
                                          {"duration_s", 600},
                                          {"media", "go/types.mp4"}}}}},
                                      {{"title", "Concurrency"},
                                       {"lessons",
                                        {{{"id", "chans"},
                                          {"title", "Channels"},
                                          {"duration_s", 900},
                                          {"media", "go/chans.mp4"}}}}}}}}}};

  std::string id_;
};

TEST_P(Video, TheOutlineShowsLessonsButNoMedia) {
  const auto page = Call(Method::get, "/api/v1/courses/" + id_);
  ASSERT_EQ(page.status, 200) << page.raw.body;
  EXPECT_EQ(page.body["outline"]["duration_s"], 1620);
  EXPECT_EQ(page.body["outline"]["sections"].size(), 2u);
  EXPECT_EQ(page.body["outline"]["sections"][0]["lessons"][1]["title"], "Types");
  EXPECT_THAT(page.raw.body, Not(HasSubstr(".mp4")));
}

TEST_P(Video, LessonsComeAsSignedLinksTheMediaRouteChecks) {
  const auto preview = Call(Method::get, "/api/v1/courses/" + id_ + "/items/welcome");
  ASSERT_EQ(preview.status, 200) << preview.raw.body;
  const auto url = preview.body["lesson"]["media_url"].get<std::string>();
  EXPECT_EQ(url.rfind("/api/v1/video/media?path=go/welcome.mp4&exp=", 0), 0u) << url;
  EXPECT_EQ(preview.raw.status, 200);

  const auto served = Call(Method::get, url);
  EXPECT_EQ(served.status, 200) << served.raw.body;
  EXPECT_EQ(served.header("X-Accel-Redirect"), "/protected-media/go/welcome.mp4");

  // Changing any signed field breaks the link.
  auto forged = url;
  forged.replace(forged.find("welcome.mp4"), 11, "types.mp4");
  EXPECT_EQ(Call(Method::get, forged).code(), "invalid_signature");
  auto other_viewer = url;
  other_viewer.replace(other_viewer.find("&u=0"), 4, "&u=7");
  EXPECT_EQ(Call(Method::get, other_viewer).code(), "invalid_signature");
  EXPECT_EQ(Call(Method::get, "/api/v1/video/media?path=go/welcome.mp4").code(),
            "invalid_signature");

  // And it expires.
  clock_.advance(61s);
  EXPECT_EQ(Call(Method::get, url).code(), "link_expired");
}

TEST_P(Video, PaidLessonsNeedAnEntitlementAndPositionsCompleteThem) {
  EXPECT_EQ(Call(Method::get, "/api/v1/courses/" + id_ + "/items/types", "student").code(),
            "purchase_required");
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/courses/" + id_ + "/entitlements", "admin",
                 {{"user_id", ids_.at("student")}})
                .status,
            200);
  const auto lesson = Call(Method::get, "/api/v1/courses/" + id_ + "/items/types", "student");
  ASSERT_EQ(lesson.status, 200) << lesson.raw.body;
  EXPECT_THAT(lesson.body["lesson"]["media_url"].get<std::string>(),
              HasSubstr("&u=" + std::to_string(ids_.at("student")) + "&sig="));
  EXPECT_EQ(Call(Method::get, lesson.body["lesson"]["media_url"].get<std::string>()).status, 200);

  const auto report = [&](const std::string& item, const nlohmann::json& body) {
    return Call(Method::post, "/api/v1/courses/" + id_ + "/items/" + item + "/progress", "student",
                body);
  };
  EXPECT_THAT(report("types", {{"position_s", 601}}).fields(),
              ElementsAre("position_s:invalid_value"));
  const auto half = report("types", {{"position_s", 300}});
  ASSERT_EQ(half.status, 200) << half.raw.body;
  EXPECT_EQ(half.body["progress"]["item_completed"], false);
  const auto most = report("types", {{"position_s", 540}});  // 90%
  EXPECT_EQ(most.body["progress"]["item_completed"], true);
  // Watching the start again keeps the completion, and the last position is remembered.
  EXPECT_EQ(report("types", {{"position_s", 10}}).body["progress"]["item_completed"], true);
  EXPECT_EQ(Call(Method::get, "/api/v1/courses/" + id_ + "/items/types", "student")
                .body["lesson"]["progress"]["position_s"],
            10);
  report("welcome", {{"position_s", 0}, {"completed", true}});
  const auto last = report("chans", {{"position_s", 900}});
  EXPECT_EQ(last.body["progress"]["course_completed"], true);
}

TEST_P(Video, BadLessonsAreNamedByPath) {
  auto body = kCourse;
  auto& lessons = body["content"]["sections"][0]["lessons"];
  lessons[0]["media"] = "../etc/passwd";
  lessons[1]["duration_s"] = 0;
  lessons[1]["id"] = "welcome";
  body["content"]["sections"][1].erase("title");
  EXPECT_THAT(Call(Method::post, "/api/v1/courses", "teacher", body).fields(),
              ElementsAre("content.sections[0].lessons[0].media:invalid_path",
                          "content.sections[0].lessons[1].id:duplicate",
                          "content.sections[0].lessons[1].duration_s:invalid_value",
                          "content.sections[1].title:required"));
}

INSTANTIATE_TEST_SUITE_P(, Video, ::testing::Values(Dialect::sqlite, Dialect::mysql), dialect_name);

}  // namespace
}  // namespace lore::test
