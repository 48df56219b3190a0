// The catalog through its routes, with the course-basic test type, on SQLite and on MariaDB
// with Redis: create -> publish -> list -> outline -> 403 with a reason -> grant -> 200 ->
// progress -> completion hooks once; drip and expiry on the test clock; bad input; a course
// type that stops.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "catalog/catalog_service.h"
#include "lore/sdk/hooks.h"
#include "support/api_fixture.h"
#include "support/in_process.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

class Catalog : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    Start("  course-basic: { enabled: true }\n", {"course-basic"});
    Person("ann", {"creator"});
    Person("cal", {"creator"});
    Person("lea", {"learner"});
    Person("admin", {"admin"});
    kernel_->hooks().on(sdk::hooks::lesson_completed,
                        [this](const sdk::ItemCompleted&) { ++lessons_completed_; });
    kernel_->hooks().on(sdk::hooks::course_completed,
                        [this](const sdk::CourseCompleted&) { ++courses_completed_; });
    kernel_->hooks().on(sdk::hooks::course_published,
                        [this](const sdk::CoursePublished&) { ++published_; });
  }

  nlohmann::json course_body(const std::string& title, std::int64_t price = 9900) {
    return {{"type", "basic"},
            {"title", title},
            {"tags", {"go"}},
            {"price", {{"amount_minor", price}, {"currency", "CNY"}}},
            {"content",
             {{"items",
               {{{"id", "intro"}, {"title", "Intro"}, {"body", "Welcome"}, {"free_preview", true}},
                {{"id", "one"}, {"title", "One"}, {"body", "The first lesson"}},
                {{"id", "two"},
                 {"title", "Two"},
                 {"body", "Two weeks in"},
                 {"release_after_days", 14}}}}}}};
  }
  std::int64_t Create(const std::string& title, std::int64_t price = 9900,
                      const std::string& who = "ann") {
    const auto made = Call(Method::post, "/api/v1/courses", who, course_body(title, price));
    EXPECT_EQ(made.status, 201) << made.raw.body;
    return made.body["course"]["id"].get<std::int64_t>();
  }
  std::string Path(std::int64_t id, const std::string& rest = "") {
    return "/api/v1/courses/" + std::to_string(id) + rest;
  }

  std::atomic<int> lessons_completed_{0}, courses_completed_{0}, published_{0};
};

TEST_P(Catalog, FromDraftToCompletion) {
  const auto id = Create("Go in Practice");
  // A draft is its creator's: others, anonymous included, cannot tell it exists.
  EXPECT_EQ(Call(Method::get, Path(id)).status, 404);
  EXPECT_EQ(Call(Method::get, Path(id), "lea").status, 404);
  EXPECT_EQ(Call(Method::get, Path(id), "ann").status, 200);
  EXPECT_EQ(Call(Method::get, "/api/v1/courses").body["courses"].size(), 0u);

  const auto published = Call(Method::post, Path(id, "/publish"), "ann");
  ASSERT_EQ(published.status, 200) << published.raw.body;
  EXPECT_EQ(published.body["course"]["status"], "published");
  EXPECT_EQ(published_, 1);
  EXPECT_EQ(Call(Method::post, Path(id, "/publish"), "ann").code(), "invalid_transition");
  EXPECT_EQ(published_, 1);

  const auto listed = Call(Method::get, "/api/v1/courses?tag=go&price=paid");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["courses"].size(), 1u);
  EXPECT_EQ(listed.body["courses"][0]["title"], "Go in Practice");
  EXPECT_EQ(listed.body["courses"][0]["available"], true);
  EXPECT_EQ(listed.body["courses"][0]["price"],
            (nlohmann::json{{"amount_minor", 9900}, {"currency", "CNY"}}));

  // The outline is public, with the caller's access to each item; no body leaks into it.
  const auto page = Call(Method::get, Path(id));
  ASSERT_EQ(page.status, 200) << page.raw.body;
  EXPECT_EQ(page.body["outline"]["items"], 3);
  ASSERT_EQ(page.body["items"].size(), 3u);
  EXPECT_EQ(page.body["items"][0]["access"]["reason"], "free_preview");
  EXPECT_EQ(page.body["items"][1]["access"]["reason"], "sign_in_required");
  EXPECT_THAT(page.raw.body, ::testing::Not(HasSubstr("The first lesson")));
  const auto by_slug =
      Call(Method::get, "/api/v1/courses/" + page.body["course"]["slug"].get<std::string>());
  EXPECT_EQ(by_slug.body["course"]["id"], id);

  EXPECT_EQ(Call(Method::get, Path(id, "/items/intro")).body["item"]["body"], "Welcome");
  const auto closed = Call(Method::get, Path(id, "/items/one"), "lea");
  EXPECT_EQ(closed.status, 403);
  EXPECT_EQ(closed.code(), "purchase_required");
  EXPECT_EQ(closed.message(), "purchase required");
  EXPECT_EQ(closed.body["error"]["details"]["reason"], "purchase_required");
  EXPECT_EQ(Call(Method::get, Path(id, "/items/nope"), "lea").status, 404);

  // An admin grants; the same code path purchases will use.
  const auto granted =
      Call(Method::post, "/api/v1/admin/courses/" + std::to_string(id) + "/entitlements", "admin",
           {{"user_id", ids_.at("lea")}});
  ASSERT_EQ(granted.status, 200) << granted.raw.body;
  EXPECT_EQ(granted.body["granted"], true);
  EXPECT_EQ(granted.body["entitlement"]["source"], "grant");
  const auto open = Call(Method::get, Path(id, "/items/one"), "lea");
  ASSERT_EQ(open.status, 200) << open.raw.body;
  EXPECT_EQ(open.body["item"]["body"], "The first lesson");
  EXPECT_EQ(open.body["access"]["reason"], "entitled");

  // Drip: "two" opens 14 days after the grant.
  const auto waiting = Call(Method::get, Path(id, "/items/two"), "lea");
  EXPECT_EQ(waiting.status, 403);
  EXPECT_EQ(waiting.code(), "not_released");
  EXPECT_EQ(waiting.body["error"]["details"]["available_at"],
            sdk::rfc3339(clock_.now_ms() + 14 * kDayMs));

  // Progress: each first completion fires once; the course completes with the last item.
  const auto report = [&](const std::string& item) {
    return Call(Method::post, Path(id, "/items/" + item + "/progress"), "lea",
                {{"completed", true}});
  };
  EXPECT_EQ(report("two").status, 403) << "not released yet";
  EXPECT_EQ(report("intro").status, 200);
  EXPECT_EQ(report("intro").status, 200);
  const auto one = report("one");
  ASSERT_EQ(one.status, 200) << one.raw.body;
  EXPECT_NEAR(one.body["progress"]["course_fraction"].get<double>(), 2.0 / 3, 1e-9);
  EXPECT_EQ(one.body["progress"]["course_completed"], false);
  EXPECT_EQ(lessons_completed_, 2);
  EXPECT_EQ(courses_completed_, 0);
  clock_.advance(std::chrono::milliseconds(14 * kDayMs));
  const auto last = report("two");
  ASSERT_EQ(last.status, 200) << last.raw.body;
  EXPECT_EQ(last.body["progress"]["course_completed"], true);
  report("two");
  EXPECT_EQ(lessons_completed_, 3);
  EXPECT_EQ(courses_completed_, 1) << "fired once";
  EXPECT_THAT(
      Call(Method::post, Path(id, "/items/one/progress"), "lea", {{"completed", "yes"}}).fields(),
      ElementsAre("completed:required"));

  const auto library = Call(Method::get, "/api/v1/me/library", "lea");
  ASSERT_EQ(library.status, 200);
  ASSERT_EQ(library.body["items"].size(), 1u);
  EXPECT_EQ(library.body["items"][0]["course"]["id"], id);
  EXPECT_EQ(library.body["items"][0]["completed"], true);
  EXPECT_EQ(library.body["items"][0]["live"], true);

  // Revoked: closed again, and gone from the library.
  EXPECT_EQ(Call(Method::delete_,
                 "/api/v1/admin/courses/" + std::to_string(id) + "/entitlements/" +
                     std::to_string(ids_.at("lea")),
                 "admin")
                .status,
            204);
  EXPECT_EQ(Call(Method::get, Path(id, "/items/one"), "lea").code(), "purchase_required");
  EXPECT_EQ(Call(Method::get, "/api/v1/me/library", "lea").body["items"].size(), 0u);
}

TEST_P(Catalog, AnEntitlementEndsWhenItExpires) {
  const auto id = Create("Expiring");
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  const auto until = clock_.now_ms() + 20 * kDayMs;
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/courses/" + std::to_string(id) + "/entitlements",
                 "admin", {{"user_id", ids_.at("lea")}, {"expires_at_ms", until}})
                .status,
            200);
  const auto open = Call(Method::get, Path(id, "/items/one"), "lea");
  EXPECT_EQ(open.status, 200);
  EXPECT_EQ(open.body["access"]["ends_at"], sdk::rfc3339(until));
  clock_.advance(std::chrono::milliseconds(20 * kDayMs));
  const auto ended = Call(Method::get, Path(id, "/items/one"), "lea");
  EXPECT_EQ(ended.status, 403);
  EXPECT_EQ(ended.code(), "entitlement_expired");
  EXPECT_EQ(ended.body["error"]["details"]["ends_at"], sdk::rfc3339(until));

  // Granted again, it starts again; an expiry in the past is refused.
  const auto grants = "/api/v1/admin/courses/" + std::to_string(id) + "/entitlements";
  EXPECT_THAT(Call(Method::post, grants, "admin",
                   {{"user_id", ids_.at("lea")}, {"expires_at_ms", clock_.now_ms()}})
                  .fields(),
              ElementsAre("expires_at_ms:in_the_past"));
  const auto renewed = Call(Method::post, grants, "admin", {{"user_id", ids_.at("lea")}});
  ASSERT_EQ(renewed.status, 200) << renewed.raw.body;
  EXPECT_EQ(renewed.body["granted"], true);
  EXPECT_EQ(renewed.body["entitlement"]["granted_at"], sdk::rfc3339(clock_.now_ms()));
  EXPECT_TRUE(renewed.body["entitlement"]["expires_at"].is_null());
  EXPECT_EQ(Call(Method::get, Path(id, "/items/one"), "lea").status, 200);
}

TEST_P(Catalog, BadInputNamesEveryFieldAndWritesNothing) {
  const auto before = kernel_->catalog().courses().list({.statuses = {"draft"}}).courses.size();
  auto body = course_body("Bad");
  body["type"] = "hologram";
  const auto unknown = Call(Method::post, "/api/v1/courses", "ann", body);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.fields(), ElementsAre("type:unknown_type"));
  EXPECT_THAT(unknown.raw.body,
              HasSubstr("unknown course type 'hologram'; registered types: basic"));

  body = course_body("Bad");
  body["content"]["items"][1].erase("id");
  body["content"]["items"][2]["id"] = "intro";
  body["price"]["amount_minor"] = 99.5;
  EXPECT_THAT(Call(Method::post, "/api/v1/courses", "ann", body).fields(),
              ElementsAre("price.amount_minor:invalid_amount", "content.items[1].id:required",
                          "content.items[2].id:duplicate"));
  EXPECT_EQ(Call(Method::post, "/api/v1/courses", "ann", "{").status, 400);
  EXPECT_EQ(Call(Method::post, "/api/v1/courses", "lea", course_body("Mine")).status, 403);
  EXPECT_EQ(kernel_->catalog().courses().list({.statuses = {"draft"}}).courses.size(), before);

  // Another creator's course looks missing to cal; its type cannot change.
  const auto id = Create("Ann's");
  EXPECT_EQ(Call(Method::patch, Path(id), "cal", {{"title", "Mine now"}}).status, 404);
  EXPECT_THAT(Call(Method::patch, Path(id), "ann", {{"type", "video"}}).fields(),
              ElementsAre("type:immutable"));
  const auto renamed = Call(Method::patch, Path(id), "admin", {{"title", "Renamed"}});
  EXPECT_EQ(renamed.status, 200);
  EXPECT_EQ(renamed.body["course"]["title"], "Renamed");
  EXPECT_THAT(Call(Method::get, "/api/v1/courses?sort=cheapest&limit=0").fields(),
              ElementsAre("sort:invalid_value", "limit:out_of_range"));
}

TEST_P(Catalog, AStoppedCourseTypeAnswers503AndStaysListed) {
  const auto id = Create("Typed");
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/courses/" + std::to_string(id) + "/entitlements",
                 "admin", {{"user_id", ids_.at("lea")}})
                .status,
            200);
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/course-basic/disable", "admin").status, 200);
  const auto page = Call(Method::get, Path(id));
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.code(), "course_type_unavailable");
  EXPECT_THAT(page.message(), HasSubstr("courses of type 'basic' are unavailable right now"));
  EXPECT_EQ(Call(Method::get, Path(id, "/items/intro")).status, 503);
  const auto listed = Call(Method::get, "/api/v1/courses");
  ASSERT_EQ(listed.body["courses"].size(), 1u);
  EXPECT_EQ(listed.body["courses"][0]["available"], false);
  const auto library = Call(Method::get, "/api/v1/me/library", "lea");
  ASSERT_EQ(library.body["items"].size(), 1u);
  EXPECT_EQ(library.body["items"][0]["available"], false);
  const auto none = Call(Method::post, "/api/v1/courses", "ann", course_body("New"));
  EXPECT_THAT(none.raw.body, HasSubstr("no course type is running"));
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/course-basic/enable", "admin").status, 200);
  EXPECT_EQ(Call(Method::get, Path(id)).status, 200);
}

TEST_P(Catalog, FreeCoursesAndPreviewsNeedNoEntitlement) {
  const auto id = Create("Free", 0);
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  EXPECT_EQ(Call(Method::get, Path(id, "/items/one")).body["access"]["reason"], "free_course");
  EXPECT_EQ(Call(Method::get, "/api/v1/courses?price=free").body["courses"].size(), 1u);
  // Archived: unlisted, and a paid one is no longer sold.
  const auto paid = Create("Paid");
  ASSERT_EQ(Call(Method::post, Path(paid, "/publish"), "ann").status, 200);
  ASSERT_EQ(Call(Method::post, Path(paid, "/archive"), "ann").status, 200);
  EXPECT_EQ(Call(Method::get, "/api/v1/courses?price=paid").body["courses"].size(), 0u);
  EXPECT_EQ(Call(Method::get, Path(paid, "/items/one"), "lea").code(), "not_for_sale");
}

TEST_P(Catalog, AChangeIsSeenAtOnceByAnotherProcessSharingTheCache) {
  if (GetParam() != Dialect::mysql || std::getenv("LORE_TEST_REDIS_URL") == nullptr)
    GTEST_SKIP() << "needs MariaDB and Redis shared by two processes";
  const auto id = Create("Shared");
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "Shared");  // cached here now

  // A second kernel on the same MariaDB and Redis, as a second `lore` process would be.
  const std::string extra = db_->yaml() + cache_yaml_;  // the same Redis keys as kernel_
  Kernel other(config_from_yaml(kernel_yaml(0, "", extra)),
               KernelOptions{.serve_http = false, .clock = &clock_});
  other.start();
  const auto renamed =
      call_api(other, {Method::patch, Path(id),
                       nlohmann::json{{"title", "Renamed elsewhere"}}.dump(), tokens_.at("ann")});
  ASSERT_EQ(renamed.status, 200) << renamed.raw.body;
  // Signed in: read through the shared cache, which the other process told at once.
  EXPECT_EQ(Call(Method::get, Path(id), "ann").body["course"]["title"], "Renamed elsewhere");
  const auto slug = Call(Method::get, Path(id), "ann").body["course"]["slug"].get<std::string>();
  EXPECT_EQ(Call(Method::get, "/api/v1/courses/" + slug, "ann").body["course"]["title"],
            "Renamed elsewhere");
  // Anonymous visitors get this process's rendered answer until catalog.public_cache_ms passes.
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "Shared");
  clock_.advance(std::chrono::milliseconds(1000));
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "Renamed elsewhere");
  other.stop();
}

TEST_P(Catalog, CoursesAreReadThroughTheCacheAndForgottenOnChange) {
  const auto id = Create("Cached");
  const auto key = "id:" + std::to_string(id);
  auto& cache = kernel_->cache();
  EXPECT_FALSE(cache.get("kernel.courses", key));
  ASSERT_EQ(Call(Method::get, Path(id), "ann").status, 200);
  const auto cached = cache.get("kernel.courses", key);
  ASSERT_TRUE(cached) << "a read fills the cache";
  EXPECT_THAT(*cached, HasSubstr("\"Cached\""));
  ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"title", "Changed"}}).status, 200);
  EXPECT_FALSE(cache.get("kernel.courses", key)) << "a committed change forgets it";
  EXPECT_EQ(Call(Method::get, Path(id), "ann").body["course"]["title"], "Changed");
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  EXPECT_FALSE(cache.get("kernel.courses", key)) << "so does a status change";
}

TEST_P(Catalog, PopularSortsByLearners) {
  const auto older = Create("Older");
  const auto newer = Create("Newer");
  for (const auto id : {older, newer})
    ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  const auto titles = [&] {
    std::vector<std::string> out;
    const auto listed = Call(Method::get, "/api/v1/courses?sort=popular");
    for (const auto& c : listed.body["courses"]) out.push_back(c["title"]);
    return out;
  };
  EXPECT_THAT(titles(), ElementsAre("Newer", "Older")) << "a tie goes to the newer id";
  const auto grants = "/api/v1/admin/courses/" + std::to_string(older) + "/entitlements";
  ASSERT_EQ(Call(Method::post, grants, "admin", {{"user_id", ids_.at("lea")}}).status, 200);
  // Granting again changes nothing: one learner is one learner.
  EXPECT_EQ(Call(Method::post, grants, "admin", {{"user_id", ids_.at("lea")}}).body["granted"],
            false);
  EXPECT_THAT(titles(), ElementsAre("Older", "Newer"));
  ASSERT_EQ(Call(Method::delete_, grants + "/" + std::to_string(ids_.at("lea")), "admin").status,
            204);
  EXPECT_THAT(titles(), ElementsAre("Newer", "Older"));
  EXPECT_EQ(Call(Method::delete_, grants + "/" + std::to_string(ids_.at("lea")), "admin").status,
            404);
}

INSTANTIATE_TEST_SUITE_P(, Catalog, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
