// Demo data (catalog/demo_data.h, config `demo_data:`), on SQLite and on MariaDB with Redis: the
// shipped config/demo-data.yaml loads whole with the three first-party course types and only
// once; its safe-rendering article comes out inert; a bad file names each bad entry by
// file:line:column and loads the good ones; a missing file is a configuration error.
#include "catalog/demo_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "accounts/account_service.h"
#include "catalog/catalog_service.h"
#include "config/yaml_checker.h"
#include "support/api_fixture.h"
#include "support/in_process.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::int64_t kMinuteMs = 60LL * 1000;
constexpr std::int64_t kDayMs = 24 * 60 * kMinuteMs;

const std::string kCourseTypes =
    "  course-video:\n    enabled: true\n    settings: {signing_secret: \"test secret\"}\n"
    "  course-column: { enabled: true }\n"
    "  course-live: { enabled: true }\n";
const std::vector<std::string> kCourseTypePlugins = {"course-video", "course-column",
                                                     "course-live"};

std::string shipped_file() { return std::string(LORE_SOURCE_DIR) + "/config/demo-data.yaml"; }

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// "file:LINE:COLUMN" of the first occurrence of `needle` in `text` (plus `skip` bytes into it:
// where a value starts after its key).
std::string where(const std::string& file, const std::string& text, const std::string& needle,
                  std::size_t skip = 0) {
  const auto at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  EXPECT_EQ(text.find(needle, at + 1), std::string::npos) << needle << " is not unique";
  const auto offset = at + skip;
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n');
  const auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const auto column = line_start == std::string::npos ? offset + 1 : offset - line_start;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string problems_of(const DemoDataReport& report) {
  std::string out;
  for (const auto& p : report.problems) out += "\n  " + p;
  return out;
}

class DemoData : public ApiFixture {
 protected:
  // ApiFixture::Start with more top-level YAML (`more`, e.g. demo_data:).
  void Boot(const std::string& more = "") {
    std::string extra = db_->yaml();
    if (const char* redis = std::getenv("LORE_TEST_REDIS_URL");
        redis != nullptr && GetParam() == Dialect::mysql) {
      static std::atomic<int> booted{0};
      cache_yaml_ = std::string("cache:\n  url: \"") + redis + "\"\n  key_prefix: \"lore:demo" +
                    std::to_string(++booted) + "_" + std::to_string(::getpid()) + "_" +
                    std::to_string(std::random_device{}()) + ":\"\n";
    }
    extra += cache_yaml_ + more;
    kernel_ = std::make_unique<Kernel>(config_from_yaml(kernel_yaml(0, kCourseTypes, extra)),
                                       KernelOptions{.serve_http = false, .clock = &clock_});
    kernel_->start();
    for (const auto& plugin : kCourseTypePlugins)
      ASSERT_EQ(state_of(*kernel_, plugin), "running") << reason_of(*kernel_, plugin);
  }
  void Restart(const std::string& more = "") {
    kernel_->stop();
    kernel_.reset();
    Boot(more);
  }
  DemoDataReport Load(const std::string& file) {
    return load_demo_data(file, kernel_->accounts(), kernel_->catalog());
  }
  std::int64_t Count(const std::string& table) {
    return kernel_->database()
        .session()
        .query_one("SELECT COUNT(*) AS n FROM " + table)
        ->get<std::int64_t>("n");
  }
  nlohmann::json Listed() {
    const auto listed = Call(Method::get, "/api/v1/courses?limit=100");
    EXPECT_EQ(listed.status, 200) << listed.raw.body;
    EXPECT_TRUE(listed.body["next_cursor"].is_null());
    return listed.body["courses"];
  }
  // What the shipped file holds, seen anonymously.
  void ExpectTheShippedCatalog() {
    EXPECT_EQ(Count("lore_users"), 3);
    EXPECT_EQ(Count("lore_courses"), 24);
    const auto listed = Listed();
    EXPECT_EQ(listed.size(), 21u);
    std::map<std::string, int> by_type;
    std::set<std::string> slugs;
    for (const auto& course : listed) {
      const auto slug = course["slug"].get<std::string>();
      SCOPED_TRACE(slug);
      ++by_type[course["type"].get<std::string>()];
      slugs.insert(slug);
      EXPECT_EQ(course["status"], "published");
      EXPECT_EQ(course["available"], true);
      const auto page = Call(Method::get, "/api/v1/courses/" + slug);
      EXPECT_EQ(page.status, 200) << page.raw.body;
      EXPECT_EQ(page.body["course"]["slug"], slug);
      EXPECT_FALSE(page.body["items"].empty());
    }
    EXPECT_EQ(by_type, (std::map<std::string, int>{{"column", 7}, {"live", 7}, {"video", 7}}));
    EXPECT_EQ(slugs.size(), 21u);
    for (const auto& draft :
         {"startup-financial-modeling", "design-systems-in-practice", "cloud-cost-clinic"}) {
      EXPECT_EQ(slugs.count(draft), 0u) << draft;
      EXPECT_EQ(Call(Method::get, std::string("/api/v1/courses/") + draft).status, 404) << draft;
    }
    EXPECT_EQ(
        kernel_->catalog().courses().list({.statuses = {"draft"}, .limit = 100}).courses.size(),
        3u);
    // The three creators, by email, with their roles.
    for (const auto& email : {"mei.li@demo.lore.example", "zhou.yuan@demo.lore.example",
                              "sarah.lin@demo.lore.example"}) {
      const auto user = kernel_->accounts().users().find_by_email(email);
      ASSERT_TRUE(user) << email;
      EXPECT_THAT(user->roles, ElementsAre("creator")) << email;
    }
  }
};

TEST_P(DemoData, TheShippedFileLoadsWholeAndOnlyOnce) {
  Boot();
  const auto loaded_at = clock_.now_ms();
  const auto first = Load(shipped_file());
  EXPECT_THAT(first.problems, IsEmpty()) << problems_of(first);
  EXPECT_EQ(first.users_created, 3);
  EXPECT_EQ(first.courses_created, 24);
  EXPECT_EQ(first.users_present, 0);
  EXPECT_EQ(first.courses_present, 0);
  ExpectTheShippedCatalog();

  // !from_now is the time of loading on the kernel's clock.
  const auto live = Call(Method::get, "/api/v1/courses/product-office-hours");
  ASSERT_EQ(live.status, 200) << live.raw.body;
  EXPECT_EQ(live.body["outline"]["sessions"][0]["starts_at"],
            sdk::rfc3339(loaded_at + 10 * kMinuteMs));
  EXPECT_EQ(live.body["outline"]["sessions"][1]["starts_at"], sdk::rfc3339(loaded_at + 7 * kDayMs));
  const auto timed = Call(Method::get, "/api/v1/courses/data-visualization-notes");
  ASSERT_EQ(timed.status, 200) << timed.raw.body;
  EXPECT_EQ(timed.body["items"][3]["id"], "year-in-charts");
  EXPECT_EQ(timed.body["items"][3]["release_at"], sdk::rfc3339(loaded_at + 14 * kDayMs));
  EXPECT_EQ(timed.body["items"][3]["access"]["reason"], "not_released");

  // Again, later: everything is there already, nothing changes.
  clock_.advance(1h);
  const auto second = Load(shipped_file());
  EXPECT_THAT(second.problems, IsEmpty()) << problems_of(second);
  EXPECT_EQ(second.users_created, 0);
  EXPECT_EQ(second.courses_created, 0);
  EXPECT_EQ(second.users_present, 3);
  EXPECT_EQ(second.courses_present, 24);
  EXPECT_EQ(Count("lore_users"), 3);
  EXPECT_EQ(Count("lore_courses"), 24);
  EXPECT_EQ(Call(Method::get, "/api/v1/courses/product-office-hours")
                .body["outline"]["sessions"][0]["starts_at"],
            sdk::rfc3339(loaded_at + 10 * kMinuteMs))
      << "a course already there is left as it was";
}

TEST_P(DemoData, TheKernelLoadsItAtStartAndNotAgainAfterARestart) {
  const auto config = "demo_data: \"" + shipped_file() + "\"\n";
  Boot(config);
  ExpectTheShippedCatalog();
  // An owner's edit survives the next start.
  Person("admin", {"admin"});
  const auto id = Call(Method::get, "/api/v1/courses/rust-from-zero").body["course"]["id"];
  ASSERT_EQ(Call(Method::patch, "/api/v1/courses/" + std::to_string(id.get<std::int64_t>()),
                 "admin", {{"title", "Edited by the owner"}})
                .status,
            200);

  Restart(config);
  EXPECT_EQ(Count("lore_users"), 4);  // the three creators and the admin
  EXPECT_EQ(Count("lore_courses"), 24);
  EXPECT_EQ(Listed().size(), 21u);
  EXPECT_EQ(Call(Method::get, "/api/v1/courses/rust-from-zero").body["course"]["title"],
            "Edited by the owner");
  const auto again = Load(shipped_file());
  EXPECT_THAT(again.problems, IsEmpty()) << problems_of(again);
  EXPECT_EQ(again.users_created + again.courses_created, 0);
  EXPECT_EQ(again.users_present, 3);
  EXPECT_EQ(again.courses_present, 24);
}

TEST_P(DemoData, TheSafeRenderingArticleIsInert) {
  Boot("demo_data: \"" + shipped_file() + "\"\n");
  const auto handbook = Call(Method::get, "/api/v1/courses/lore-creator-handbook");
  ASSERT_EQ(handbook.status, 200) << handbook.raw.body;
  EXPECT_EQ(handbook.body["course"]["type"], "column");
  EXPECT_EQ(handbook.body["course"]["price"]["amount_minor"], 0);
  const auto article =
      Call(Method::get, "/api/v1/courses/lore-creator-handbook/items/safe-rendering-demo");
  ASSERT_EQ(article.status, 200) << article.raw.body;
  EXPECT_EQ(article.body["access"]["reason"], "free_course");
  const auto html = article.body["article"]["html"].get<std::string>();
  EXPECT_THAT(html, HasSubstr("安全渲染演示"));
  EXPECT_THAT(html, HasSubstr("href=\"https://docs.example.com/lore/markdown\""));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<SCRIPT")));
  EXPECT_THAT(html, Not(HasSubstr("javascript:alert")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"javascript:")));
  // The article quotes `javascript:` in code spans, which is text; anywhere else (a link
  // target, an attribute) it would be live.
  for (auto at = html.find("javascript:"); at != std::string::npos;
       at = html.find("javascript:", at + 1)) {
    const auto open = html.rfind("<code>", at);
    const auto close = html.rfind("</code>", at);
    EXPECT_TRUE(open != std::string::npos && (close == std::string::npos || open > close))
        << "javascript: outside a code span at " << at << " in " << html;
  }
  // The whole answer, not only the HTML, carries no live script.
  EXPECT_THAT(article.raw.body, Not(HasSubstr("<script>alert(1)</script>")));
}

// One file with good and bad entries: each bad one is reported where it is, the rest loads.
const std::vector<std::string> kMixedFile = {
    "users:",
    "  - email: writer@demo.test",
    "    display_name: Writer",
    "    roles: [creator]",
    "courses:",
    "  - slug: good-live",
    "    type: live",
    "    creator: writer@demo.test",
    "    title: Good live",
    "    price: {amount_minor: 0, currency: CNY}",
    "    content:",
    "      sessions:",
    "        - id: s1",
    "          title: First",
    "          starts_at_ms: !from_now 2d",
    "          duration_min: 60",
    "          capacity: 10",
    "          join_url: https://meet.example.com/good",
    "  - slug: bad-capacity",
    "    type: live",
    "    creator: writer@demo.test",
    "    title: Bad capacity",
    "    price: {amount_minor: 0, currency: CNY}",
    "    content:",
    "      sessions:",
    "        - id: s1",
    "          title: First",
    "          starts_at_ms: !from_now 2d",
    "          duration_min: 60",
    "          capacity: -3",
    "          join_url: https://meet.example.com/bad",
    "  - slug: unknown-creator",
    "    type: live",
    "    creator: nobody@demo.test",
    "    title: Nobody's",
    "    price: {amount_minor: 0, currency: CNY}",
    "    content: {sessions: [{id: s1, title: First, starts_at_ms: !from_now 1d, duration_min: 60, "
    "capacity: 5, join_url: \"https://meet.example.com/x\"}]}",
    "  - slug: bad-status",
    "    type: live",
    "    creator: writer@demo.test",
    "    status: maybe",
    "    title: Maybe",
    "    price: {amount_minor: 0, currency: CNY}",
    "    content: {sessions: [{id: s1, title: First, starts_at_ms: !from_now 1d, duration_min: 60, "
    "capacity: 5, join_url: \"https://meet.example.com/y\"}]}",
    "  - slug: unknown-tag",
    "    type: live",
    "    creator: writer@demo.test",
    "    title: Tagged",
    "    price: {amount_minor: 0, currency: CNY}",
    "    content:",
    "      sessions:",
    "        - id: s1",
    "          title: First",
    "          starts_at_ms: !yesterday 1",
    "          duration_min: 60",
    "          capacity: 5",
    "          join_url: https://meet.example.com/z",
    "  - slug: good-draft",
    "    type: live",
    "    creator: writer@demo.test",
    "    status: draft",
    "    title: Good draft",
    "    price: {amount_minor: 100, currency: CNY}",
    "    content: {sessions: [{id: s1, title: First, starts_at_ms: !from_now 1d, duration_min: 60, "
    "capacity: 5, join_url: \"https://meet.example.com/w\"}]}",
};

TEST_P(DemoData, BadEntriesAreNamedByFileLineAndColumnAndTheGoodOnesLoad) {
  Boot();
  TempDir dir;
  const auto text = joined(kMixedFile);
  const auto file = dir.write("demo.yaml", text).string();
  const auto loaded_at = clock_.now_ms();
  const auto report = Load(file);
  EXPECT_EQ(report.users_created, 1);
  EXPECT_EQ(report.courses_created, 2) << problems_of(report);
  EXPECT_EQ(report.courses_present, 0);
  ASSERT_EQ(report.problems.size(), 4u) << problems_of(report);

  EXPECT_THAT(report.problems[0], StartsWith(where(file, text, "capacity: -3", 10) +
                                             ": courses[1].content.sessions[0].capacity: "));
  EXPECT_THAT(report.problems[1],
              StartsWith(where(file, text, "creator: nobody", 9) + ": courses[2].creator: "));
  EXPECT_THAT(report.problems[1], HasSubstr("nobody@demo.test"));
  EXPECT_THAT(report.problems[2],
              StartsWith(where(file, text, "status: maybe", 8) + ": courses[3].status: "));
  EXPECT_THAT(report.problems[2], HasSubstr("published or draft"));
  // An unknown tag: at its course (from its first line to the tag's own line).
  EXPECT_THAT(report.problems[3], HasSubstr("courses[4]"));
  EXPECT_THAT(report.problems[3], HasSubstr("!yesterday"));
  const auto course_line = where(file, text, "slug: unknown-tag");
  const auto tag_line = where(file, text, "!yesterday 1");
  const auto line_of = [&](const std::string& w) {
    const auto rest = w.substr(file.size() + 1);
    return std::stoi(rest.substr(0, rest.find(':')));
  };
  ASSERT_THAT(report.problems[3], StartsWith(file + ":"));
  const auto reported = line_of(report.problems[3]);
  EXPECT_GE(reported, line_of(course_line)) << report.problems[3];
  EXPECT_LE(reported, line_of(tag_line)) << report.problems[3];
  EXPECT_EQ(reported, line_of(tag_line)) << "the complaint points at the tagged value";

  // The good ones are there; the bad ones are not.
  const auto listed = Listed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["slug"], "good-live");
  const auto good = Call(Method::get, "/api/v1/courses/good-live");
  EXPECT_EQ(good.body["outline"]["sessions"][0]["starts_at"], sdk::rfc3339(loaded_at + 2 * kDayMs));
  EXPECT_EQ(kernel_->catalog().courses().find_by_slug("good-draft")->status, "draft");
  for (const auto& slug : {"bad-capacity", "unknown-creator", "bad-status", "unknown-tag"})
    EXPECT_FALSE(kernel_->catalog().courses().find_by_slug(slug)) << slug;

  // Fixed and loaded again: only what was missing is created.
  auto fixed = kMixedFile;
  for (auto& line : fixed) {
    if (line == "          capacity: -3") line = "          capacity: 3";
    if (line == "    creator: nobody@demo.test") line = "    creator: writer@demo.test";
    if (line == "    status: maybe") line = "    status: published";
    if (line == "          starts_at_ms: !yesterday 1")
      line = "          starts_at_ms: !from_now -1d";
  }
  const auto again = Load(dir.write("demo.yaml", joined(fixed)).string());
  EXPECT_THAT(again.problems, IsEmpty()) << problems_of(again);
  EXPECT_EQ(again.users_present, 1);
  EXPECT_EQ(again.courses_present, 2);
  EXPECT_EQ(again.courses_created, 4);
  EXPECT_EQ(Listed().size(), 5u);
}

// Every bad field of one course is pointed at where it is written.
TEST_P(DemoData, TwoBadFieldsOfOneCourseAreEachNamedByTheirOwnLine) {
  Boot();
  TempDir dir;
  const auto text = joined({
      "users:",
      "  - email: writer@demo.test",
      "    roles: [creator]",
      "courses:",
      "  - slug: two-bad-fields",
      "    type: live",
      "    creator: writer@demo.test",
      "    title: Two bad fields",
      "    price: {amount_minor: 0, currency: CNY}",
      "    content:",
      "      sessions:",
      "        - id: s1",
      "          title: First",
      "          starts_at_ms: !from_now 2d",
      "          duration_min: 60",
      "          capacity: -3",
      "          join_url: not a link",
  });
  const auto file = dir.write("demo.yaml", text).string();
  const auto report = Load(file);
  EXPECT_EQ(report.courses_created, 0);
  ASSERT_EQ(report.problems.size(), 2u) << problems_of(report);
  EXPECT_THAT(report.problems[0], StartsWith(where(file, text, "capacity: -3", 10) +
                                             ": courses[0].content.sessions[0].capacity: "));
  EXPECT_THAT(report.problems[1], StartsWith(where(file, text, "join_url: not a link", 10) +
                                             ": courses[0].content.sessions[0].join_url: "));
}

// Courses are matched by slug: one without a slug must not be created again at every start
// (either the loader asks for a slug, or it finds the course it made).
TEST_P(DemoData, ACourseWithoutASlugIsNotCreatedAgainByTheNextLoad) {
  Boot();
  TempDir dir;
  const auto file = dir.write("demo.yaml", joined({
                                               "users:",
                                               "  - email: writer@demo.test",
                                               "    roles: [creator]",
                                               "courses:",
                                               "  - type: live",
                                               "    creator: writer@demo.test",
                                               "    title: No slug",
                                               "    price: {amount_minor: 0, currency: CNY}",
                                               "    content: {sessions: [{id: s1, title: First, "
                                               "starts_at_ms: !from_now 1d, duration_min: 60, "
                                               "capacity: 5, join_url: "
                                               "\"https://meet.example.com/n\"}]}",
                                           }))
                        .string();
  const auto first = Load(file);
  const auto second = Load(file);
  EXPECT_EQ(second.courses_created, 0) << problems_of(first) << problems_of(second);
  EXPECT_LE(Count("lore_courses"), 1);
  // Refused, with the reason, rather than created under a made-up slug.
  EXPECT_EQ(first.courses_created, 0);
  ASSERT_EQ(first.problems.size(), 1u) << problems_of(first);
  EXPECT_THAT(first.problems[0], HasSubstr(": courses[0].slug: every demo course needs a slug"));
}

TEST_P(DemoData, AYamlSyntaxErrorIsNamedByLineAndColumnAndLoadsNothing) {
  Boot();
  TempDir dir;
  const auto text = joined({
      "users:",
      "  - email: writer@demo.test",
      "    roles: [creator]",
      "courses:",
      "  - slug: misindented",
      "    title: x",
      "   type: live",
  });
  const auto file = dir.write("demo.yaml", text).string();
  const auto report = Load(file);
  ASSERT_EQ(report.problems.size(), 1u) << problems_of(report);
  EXPECT_THAT(report.problems[0], StartsWith(file + ":7:"));
  EXPECT_THAT(report.problems[0], HasSubstr("invalid YAML"));
  EXPECT_EQ(report.users_created + report.courses_created, 0);
  EXPECT_FALSE(kernel_->accounts().users().find_by_email("writer@demo.test"));

  // A file that is not there: a problem naming it, nothing else.
  const auto missing = Load((dir.path() / "nope.yaml").string());
  ASSERT_EQ(missing.problems.size(), 1u) << problems_of(missing);
  EXPECT_THAT(missing.problems[0], HasSubstr((dir.path() / "nope.yaml").string()));
}

TEST_P(DemoData, AKernelStartsWithABadFileAndLoadsWhatIsGood) {
  TempDir dir;
  const auto file = dir.write("demo.yaml", joined(kMixedFile)).string();
  Boot("demo_data: \"" + file + "\"\n");
  EXPECT_TRUE(kernel_->accounts().users().find_by_email("writer@demo.test"));
  const auto listed = Listed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["slug"], "good-live");
}

INSTANTIATE_TEST_SUITE_P(, DemoData, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

TEST(DemoDataConfig, AMissingFileIsAConfigurationErrorNamingIt) {
  const auto yaml = kernel_yaml(0, "", "demo_data: \"/nonexistent-lore-dir/demo.yaml\"\n");
  try {
    config_from_yaml(yaml);
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1u) << e.what();
    EXPECT_THAT(e.problems()[0], StartsWith("test.yaml:"));
    EXPECT_THAT(e.problems()[0], HasSubstr("demo_data"));
    EXPECT_THAT(e.problems()[0], HasSubstr("/nonexistent-lore-dir/demo.yaml"));
  }
}

TEST(DemoDataConfig, ARelativePathIsTakenFromTheConfigurationsDirectory) {
  TempDir dir;
  dir.write("demo.yaml", "users: []\n");
  const auto config = dir.write("lore.yaml", kernel_yaml(0, "", "demo_data: demo.yaml\n"));
  EXPECT_EQ(load_kernel_config(config.string(), {}).demo_data, (dir.path() / "demo.yaml").string());

  const auto wrong = dir.write("wrong.yaml", kernel_yaml(0, "", "demo_data: missing.yaml\n"));
  try {
    load_kernel_config(wrong.string(), {});
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1u) << e.what();
    EXPECT_THAT(e.problems()[0], StartsWith(wrong.string() + ":"));
    EXPECT_THAT(e.problems()[0], HasSubstr((dir.path() / "missing.yaml").string()));
  }
  // None named: no demo data.
  EXPECT_EQ(config_from_yaml(kernel_yaml(0, "")).demo_data, "");
}

}  // namespace
}  // namespace lore::test
