// The public answer cache (CatalogService::public_answers) through the catalog routes, on SQLite
// and on MariaDB with Redis: anonymous lists and course pages are answered again from the cache,
// byte for byte but for X-Request-Id; signed-in callers never are; every write, a seat taken, a
// course type stopping and the kernel's clock passing the time-to-live show at once; 0 turns it
// off; over real HTTP a hit is answered on the reactor and still carries a request id.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "catalog/catalog_service.h"
#include "http/response_cache.h"
#include "lore/sdk/hooks.h"
#include "support/api_fixture.h"
#include "support/http_client.h"
#include "support/in_process.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

class PublicAnswers : public ApiFixture {
 protected:
  // ApiFixture::Start with more top-level YAML (`more`) and, optionally, the HTTP server.
  void Boot(const std::string& plugins_yaml, const std::vector<std::string>& must_run,
            const std::string& more, bool serve_http = false) {
    std::string extra = db_->yaml();
    if (const char* redis = std::getenv("LORE_TEST_REDIS_URL");
        redis != nullptr && GetParam() == Dialect::mysql) {
      // Keys of this kernel's own in the shared Redis (see ApiFixture::Start).
      static std::atomic<int> booted{0};
      cache_yaml_ = std::string("cache:\n  url: \"") + redis + "\"\n  key_prefix: \"lore:pa" +
                    std::to_string(++booted) + "_" + std::to_string(::getpid()) + "_" +
                    std::to_string(std::random_device{}()) + ":\"\n";
    }
    extra += cache_yaml_ + more;
    port_ = serve_http ? free_port() : 0;
    kernel_ = std::make_unique<Kernel>(config_from_yaml(kernel_yaml(port_, plugins_yaml, extra)),
                                       KernelOptions{.serve_http = serve_http, .clock = &clock_});
    kernel_->start();
    for (const auto& plugin : must_run)
      ASSERT_EQ(state_of(*kernel_, plugin), "running") << reason_of(*kernel_, plugin);
  }
  void People() {
    Person("ann", {"creator"});
    Person("lea", {"learner"});
    Person("cal", {"learner"});
    Person("admin", {"admin"});
  }

  nlohmann::json course_body(const std::string& title, std::int64_t price = 9900) {
    return {{"type", "basic"},
            {"title", title},
            {"tags", {"go"}},
            {"price", {{"amount_minor", price}, {"currency", "CNY"}}},
            {"content",
             {{"items",
               {{{"id", "intro"}, {"title", "Intro"}, {"body", "Welcome"}, {"free_preview", true}},
                {{"id", "one"}, {"title", "One"}, {"body", "The first lesson"}}}}}}};
  }
  std::int64_t Create(const nlohmann::json& body) {
    const auto made = Call(Method::post, "/api/v1/courses", "ann", body);
    EXPECT_EQ(made.status, 201) << made.raw.body;
    return made.status == 201 ? made.body["course"]["id"].get<std::int64_t>() : 0;
  }
  std::int64_t Published(const std::string& title, std::int64_t price = 9900) {
    const auto id = Create(course_body(title, price));
    const auto published = Call(Method::post, Path(id, "/publish"), "ann");
    EXPECT_EQ(published.status, 200) << published.raw.body;
    return id;
  }
  static std::string Path(std::int64_t id, const std::string& rest = "") {
    return "/api/v1/courses/" + std::to_string(id) + rest;
  }
  static std::string Grants(std::int64_t id) {
    return "/api/v1/admin/courses/" + std::to_string(id) + "/entitlements";
  }
  ResponseCache::Stats Stats() { return kernel_->catalog().public_answers()->stats(); }
  std::vector<std::string> ListedTitles(const std::string& query = "") {
    std::vector<std::string> out;
    const auto listed = Call(Method::get, "/api/v1/courses" + query);
    EXPECT_EQ(listed.status, 200) << listed.raw.body;
    for (const auto& c : listed.body["courses"]) out.push_back(c["title"]);
    return out;
  }
  // Reads `path` anonymously twice, and asserts that the second answer came from the cache.
  ApiAnswer Cached(const std::string& path) {
    Call(Method::get, path);
    const auto before = Stats();
    auto again = Call(Method::get, path);
    const auto after = Stats();
    EXPECT_EQ(after.hits, before.hits + 1) << path << " was not answered from the cache";
    EXPECT_EQ(after.misses, before.misses) << path;
    return again;
  }
  // The same answer but for the request id, which is each request's own.
  static void ExpectSameButTheRequestId(const ApiAnswer& first, const ApiAnswer& second) {
    EXPECT_EQ(first.status, second.status);
    EXPECT_EQ(first.raw.content_type, second.raw.content_type);
    EXPECT_EQ(first.raw.body, second.raw.body);
    const auto others = [](const sdk::http::Response& r) {
      std::vector<std::pair<std::string, std::string>> out;
      int ids = 0;
      for (const auto& [name, value] : r.headers)
        if (name == "X-Request-Id")
          ++ids;
        else
          out.emplace_back(name, value);
      EXPECT_EQ(ids, 1) << "exactly one X-Request-Id";
      return out;
    };
    EXPECT_EQ(others(first.raw), others(second.raw));
    EXPECT_FALSE(first.header("X-Request-Id").empty());
    EXPECT_FALSE(second.header("X-Request-Id").empty());
    EXPECT_NE(first.header("X-Request-Id"), second.header("X-Request-Id"));
  }
  static std::string Reason(const ApiAnswer& page, std::size_t item) {
    return page.body["items"][item]["access"]["reason"].get<std::string>();
  }

  std::uint16_t port_ = 0;
};

TEST_P(PublicAnswers, RepeatedAnonymousReadsComeFromTheCacheButNeverSignedInOnes) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto id = Published("Go in Practice");
  const auto slug = Call(Method::get, Path(id), "ann").body["course"]["slug"].get<std::string>();

  for (const std::string& path :
       {std::string("/api/v1/courses"), std::string("/api/v1/courses?tag=go&sort=popular&limit=5"),
        Path(id), "/api/v1/courses/" + slug}) {
    SCOPED_TRACE(path);
    const auto s0 = Stats();
    const auto first = Call(Method::get, path);
    ASSERT_EQ(first.status, 200) << first.raw.body;
    const auto s1 = Stats();
    EXPECT_EQ(s1.hits, s0.hits) << "the first read is the handler's";
    EXPECT_EQ(s1.misses, s0.misses + 1);
    EXPECT_EQ(s1.entries, s0.entries + 1) << "and it is kept";
    EXPECT_GT(s1.bytes, s0.bytes);
    const auto second = Call(Method::get, path);
    const auto third = Call(Method::get, path);
    const auto s2 = Stats();
    EXPECT_EQ(s2.hits, s1.hits + 2);
    EXPECT_EQ(s2.misses, s1.misses);
    EXPECT_EQ(s2.entries, s1.entries);
    ExpectSameButTheRequestId(first, second);
    ExpectSameButTheRequestId(second, third);
  }
  // Another query is another answer, not the cached one.
  const auto s0 = Stats();
  EXPECT_THAT(ListedTitles("?tag=rust"), ElementsAre());
  EXPECT_EQ(Stats().misses, s0.misses + 1);
  EXPECT_THAT(ListedTitles("?tag=go"), ElementsAre("Go in Practice"));

  // The counters are on /metrics too.
  const auto stats = Stats();
  const auto metrics = Call(Method::get, "/metrics").raw.body;
  EXPECT_THAT(metrics,
              HasSubstr("\nlore_public_answers_hits_total " + std::to_string(stats.hits) + "\n"));
  EXPECT_THAT(metrics, HasSubstr("\nlore_public_answers_misses_total " +
                                 std::to_string(stats.misses) + "\n"));
  EXPECT_THAT(metrics,
              HasSubstr("\nlore_public_answers_entries " + std::to_string(stats.entries) + "\n"));
  EXPECT_THAT(metrics,
              HasSubstr("\nlore_public_answers_bytes " + std::to_string(stats.bytes) + "\n"));

  // Signed in, each caller sees their own access, and the cache is not asked.
  ASSERT_EQ(Call(Method::post, Grants(id), "admin", {{"user_id", ids_.at("lea")}}).status, 200);
  const auto anonymous = Cached(Path(id));
  EXPECT_EQ(Reason(anonymous, 1), "sign_in_required");
  EXPECT_FALSE(anonymous.body.contains("entitlement"));
  const auto before = Stats();
  const auto lea = Call(Method::get, Path(id), "lea");
  ASSERT_EQ(lea.status, 200) << lea.raw.body;
  EXPECT_EQ(Reason(lea, 1), "entitled");
  ASSERT_TRUE(lea.body.contains("entitlement")) << lea.raw.body;
  EXPECT_EQ(lea.body["entitlement"]["source"], "grant");
  const auto cal = Call(Method::get, Path(id), "cal");
  EXPECT_EQ(Reason(cal, 1), "purchase_required");
  EXPECT_FALSE(cal.body.contains("entitlement"));
  EXPECT_EQ(Reason(Call(Method::get, "/api/v1/courses/" + slug, "lea"), 1), "entitled");
  EXPECT_EQ(Reason(Call(Method::get, Path(id), "ann"), 1), "creator");
  EXPECT_EQ(Call(Method::get, "/api/v1/courses", "lea").status, 200);
  EXPECT_EQ(Stats().hits, before.hits) << "a signed-in caller was answered from the cache";
  // ... nor does what they were shown get kept for anyone else.
  const auto after = Call(Method::get, Path(id));
  EXPECT_EQ(Stats().hits, before.hits + 1);
  ExpectSameButTheRequestId(anonymous, after);

  // A token that signs nobody in is no credential, but the request still carries one: the
  // handler answers it as anonymous, without the cache.
  const auto stranger = call_api(*kernel_, {Method::get, Path(id), "", "lore_not_a_real_token"});
  EXPECT_EQ(stranger.status, 200) << stranger.raw.body;
  EXPECT_EQ(Reason(stranger, 1), "sign_in_required");
  EXPECT_EQ(Stats().hits, before.hits + 1);
}

TEST_P(PublicAnswers, EveryWriteShowsAtOnceToAnonymousCallers) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto id = Published("First title");
  const auto slug = Call(Method::get, Path(id)).body["course"]["slug"].get<std::string>();
  const auto by_slug = "/api/v1/courses/" + slug;
  EXPECT_EQ(Cached("/api/v1/courses").body["courses"][0]["title"], "First title");
  EXPECT_EQ(Cached(Path(id)).body["course"]["title"], "First title");
  EXPECT_EQ(Cached(by_slug).body["course"]["title"], "First title");

  // An edit.
  ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"title", "Second title"}}).status, 200);
  EXPECT_THAT(ListedTitles(), ElementsAre("Second title"));
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "Second title");
  EXPECT_EQ(Call(Method::get, by_slug).body["course"]["title"], "Second title");

  // A new slug: the old one is gone at once, although its page was kept.
  EXPECT_EQ(Cached(by_slug).status, 200);
  ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"slug", "renamed-course"}}).status, 200);
  EXPECT_EQ(Call(Method::get, by_slug).status, 404);
  EXPECT_EQ(Call(Method::get, "/api/v1/courses/renamed-course").body["course"]["id"], id);
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["slug"], "renamed-course");

  // New content (the outline) shows too.
  auto body = course_body("Second title");
  body.erase("type");
  body["content"]["items"][1]["title"] = "One, rewritten";
  EXPECT_EQ(Cached(Path(id)).body["items"][1]["title"], "One");
  ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"content", body["content"]}}).status, 200);
  EXPECT_EQ(Call(Method::get, Path(id)).body["items"][1]["title"], "One, rewritten");

  // A draft is not listed; publishing lists it at once.
  const auto other = Create(course_body("Another one"));
  EXPECT_EQ(Cached("/api/v1/courses").body["courses"].size(), 1u);
  EXPECT_EQ(Call(Method::get, Path(other)).status, 404);
  ASSERT_EQ(Call(Method::post, Path(other, "/publish"), "ann").status, 200);
  EXPECT_THAT(ListedTitles(), ElementsAre("Another one", "Second title"));
  EXPECT_EQ(Call(Method::get, Path(other)).status, 200);

  // Archiving unlists it at once, and its page says so.
  EXPECT_EQ(Cached(Path(id)).body["course"]["status"], "published");
  EXPECT_EQ(Cached("/api/v1/courses").body["courses"].size(), 2u);
  ASSERT_EQ(Call(Method::post, Path(id, "/archive"), "ann").status, 200);
  EXPECT_THAT(ListedTitles(), ElementsAre("Another one"));
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["status"], "archived");
  // Published again, it is back.
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  EXPECT_THAT(ListedTitles(), ElementsAre("Another one", "Second title"));
}

// Answers read while a write commits (before it, finished after it) must not be kept over it.
TEST_P(PublicAnswers, AnAnswerReadDuringAWriteIsNeverKeptOverIt) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto id = Published("Round 0");
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&, r] {
      while (!stop.load()) {
        const auto answer =
            call_api(*kernel_, {Method::get, r == 0 ? "/api/v1/courses" : Path(id)});
        if (answer.status != 200) ++failures;
        ++reads;
      }
    });
  int stale = 0;
  constexpr int kRounds = 100;
  for (int round = 1; round <= kRounds; ++round) {
    const auto title = "Round " + std::to_string(round);
    ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"title", title}}).status, 200);
    if (Call(Method::get, Path(id)).body["course"]["title"] != title) ++stale;
    if (ListedTitles() != std::vector<std::string>{title}) ++stale;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale, 0) << "of " << 2 * kRounds << " reads after a write";
  EXPECT_EQ(failures, 0);
  EXPECT_GT(reads, 0);
  EXPECT_GT(Stats().hits, 0u) << "the readers were answered from the cache at times";
}

// A handler takes its ticket before it reads; a write that commits before the handler stores
// makes the ticket too old, so the answer (perhaps read before the write) is not kept.
TEST_P(PublicAnswers, AnAnswerReadBeforeAWriteCannotBeKeptAfterIt) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto id = Published("Before");
  auto& answers = *kernel_->catalog().public_answers();
  const auto anonymous = [](const std::string& path) { return request(Method::get, path); };
  // What a handler for the page and one for the list read before the write.
  const auto ticket = answers.ticket();
  const auto page = sdk::http::Response::json(Call(Method::get, Path(id), "ann").body);
  const auto list = sdk::http::Response::json(Call(Method::get, "/api/v1/courses", "ann").body);
  ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"title", "After"}}).status, 200);
  // They finish after it.
  answers.store(anonymous(Path(id)), page, ticket, id);
  answers.store(anonymous("/api/v1/courses"), list, ticket, 0);
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "After");
  EXPECT_THAT(ListedTitles(), ElementsAre("After"));

  // The same for another course's write: the list is built from every course.
  const auto other = Published("Other");
  const auto list_ticket = answers.ticket();
  const auto old_list = sdk::http::Response::json(Call(Method::get, "/api/v1/courses", "ann").body);
  const auto page_ticket = answers.ticket();
  const auto id_page = sdk::http::Response::json(Call(Method::get, Path(id), "ann").body);
  ASSERT_EQ(Call(Method::patch, Path(other), "ann", {{"title", "Other, renamed"}}).status, 200);
  answers.store(anonymous("/api/v1/courses"), old_list, list_ticket, 0);
  EXPECT_THAT(ListedTitles(), ElementsAre("Other, renamed", "After"));
  // ... while a page of a course the write did not touch may be kept.
  const auto before = Stats();
  answers.store(anonymous(Path(id)), id_page, page_ticket, id);
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "After");
  EXPECT_EQ(Stats().hits, before.hits + 1);
  // A ticket from before the course type set changed cannot store either.
  const auto type_ticket = answers.ticket();
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/course-basic/disable", "admin").status, 200);
  answers.store(anonymous(Path(other)), id_page, type_ticket, other);
  EXPECT_EQ(Call(Method::get, Path(other)).status, 503);
}

// The interleaving behind the rare failures of the test above, step by step. The catalog reads
// a course through the shared cache (kernel.courses): a reader that read the database before a
// write committed stores its copy after the write forgot the entry, then looks at the database
// again and drops its copy (CatalogService::find). Between the two, an anonymous request that
// began after the write had answered renders the old copy with a current ticket, and the public
// answer cache keeps it, over the write, for up to catalog.public_cache_ms.
TEST_P(PublicAnswers, AnOldCourseCopyBrieflyInTheCourseCacheIsNotKeptAsThePublicAnswer) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto id = Published("Old title");
  const auto key = "id:" + std::to_string(id);
  ASSERT_EQ(Call(Method::get, Path(id), "ann").status, 200);
  const auto old_copy = kernel_->cache().get("kernel.courses", key);
  ASSERT_TRUE(old_copy) << "a read fills the course cache";
  ASSERT_THAT(*old_copy, HasSubstr("Old title"));

  ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"title", "New title"}}).status, 200);
  // The slow reader stores what it read before the commit...
  kernel_->cache().set("kernel.courses", key, *old_copy, std::chrono::milliseconds(60000));
  // ... an anonymous visitor comes (and may see the old title: the reader has not looked again)
  Call(Method::get, Path(id));
  // ... and the reader's second look drops its copy.
  kernel_->cache().erase("kernel.courses", key);

  EXPECT_EQ(Call(Method::get, Path(id), "lea").body["course"]["title"], "New title");
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "New title")
      << "the public answer kept a copy older than a write that had answered";
  clock_.advance(1000ms);
  EXPECT_EQ(Call(Method::get, Path(id)).body["course"]["title"], "New title")
      << "not even public_cache_ms later";
}

TEST_P(PublicAnswers, GrantsAndRevocationsReorderThePopularListAtOnce) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto older = Published("Older");
  Published("Newer");
  const std::string popular = "/api/v1/courses?sort=popular";
  const auto titles = [](const ApiAnswer& listed) {
    std::vector<std::string> out;
    for (const auto& c : listed.body["courses"]) out.push_back(c["title"]);
    return out;
  };
  EXPECT_THAT(titles(Cached(popular)), ElementsAre("Newer", "Older")) << "a tie: the newer id";
  ASSERT_EQ(Call(Method::post, Grants(older), "admin", {{"user_id", ids_.at("lea")}}).status, 200);
  EXPECT_THAT(ListedTitles("?sort=popular"), ElementsAre("Older", "Newer"));
  EXPECT_THAT(titles(Cached(popular)), ElementsAre("Older", "Newer"));
  ASSERT_EQ(
      Call(Method::delete_, Grants(older) + "/" + std::to_string(ids_.at("lea")), "admin").status,
      204);
  EXPECT_THAT(ListedTitles("?sort=popular"), ElementsAre("Newer", "Older"));
  // Through the service too (what purchases will call), not only the admin route.
  EXPECT_THAT(titles(Cached(popular)), ElementsAre("Newer", "Older"));
  Grant grant;
  grant.user_id = ids_.at("cal");
  grant.course_id = older;
  kernel_->catalog().grant(grant);
  EXPECT_THAT(ListedTitles("?sort=popular"), ElementsAre("Older", "Newer"));
}

TEST_P(PublicAnswers, ASeatTakenOrGivenBackShowsInTheAnonymousPageAtOnce) {
  Start("  course-live: { enabled: true }\n", {"course-live"});
  People();
  const nlohmann::json body = {{"type", "live"},
                               {"title", "Office hours"},
                               {"price", {{"amount_minor", 5000}, {"currency", "CNY"}}},
                               {"content",
                                {{"sessions",
                                  {{{"id", "oh-1"},
                                    {"title", "First"},
                                    {"starts_at_ms", clock_.now_ms() + 2 * 3600 * 1000},
                                    {"duration_min", 60},
                                    {"capacity", 3},
                                    {"join_url", "https://meet.example.com/oh-1"}}}}}}};
  const auto id = Create(body);
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);
  for (const auto& who : {"lea", "cal"})
    ASSERT_EQ(Call(Method::post, Grants(id), "admin", {{"user_id", ids_.at(who)}}).status, 200);
  const auto seats_left = [&] {
    return Call(Method::get, Path(id)).body["outline"]["sessions"][0]["seats_left"];
  };
  const auto seat = [&](const std::string& who, const std::string& action) {
    return Call(Method::post, Path(id, "/items/oh-1/progress"), who, {{"seat", action}});
  };

  EXPECT_EQ(Cached(Path(id)).body["outline"]["sessions"][0]["seats_left"], 3);
  ASSERT_EQ(seat("lea", "reserve").status, 200);
  EXPECT_EQ(seats_left(), 2);
  EXPECT_EQ(Cached(Path(id)).body["outline"]["sessions"][0]["seats_left"], 2);
  ASSERT_EQ(seat("cal", "reserve").status, 200);
  EXPECT_EQ(seats_left(), 1);
  EXPECT_EQ(Cached(Path(id)).body["outline"]["sessions"][0]["seats_left"], 1);
  ASSERT_EQ(seat("lea", "release").status, 200);
  EXPECT_EQ(seats_left(), 2);
  EXPECT_EQ(Cached(Path(id)).body["outline"]["sessions"][0]["seats_left"], 2);
}

TEST_P(PublicAnswers, AStoppedCourseTypeShowsAtOnceThoughItsAnswersWereKept) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto id = Published("Typed");
  const auto slug = Call(Method::get, Path(id)).body["course"]["slug"].get<std::string>();
  EXPECT_EQ(Cached(Path(id)).status, 200);
  EXPECT_EQ(Cached("/api/v1/courses/" + slug).status, 200);
  EXPECT_EQ(Cached("/api/v1/courses").body["courses"][0]["available"], true);

  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/course-basic/disable", "admin").status, 200);
  ASSERT_NE(state_of(*kernel_, "course-basic"), "running");
  for (const auto& path : {Path(id), "/api/v1/courses/" + slug}) {
    const auto page = Call(Method::get, path);
    EXPECT_EQ(page.status, 503) << path << ": " << page.raw.body;
    EXPECT_EQ(page.code(), "course_type_unavailable") << path;
  }
  const auto listed = Call(Method::get, "/api/v1/courses");
  ASSERT_EQ(listed.body["courses"].size(), 1u);
  EXPECT_EQ(listed.body["courses"][0]["available"], false);
  // An error is never kept: asked again, still the handler's 503.
  const auto before = Stats();
  EXPECT_EQ(Call(Method::get, Path(id)).status, 503);
  EXPECT_EQ(Stats().hits, before.hits);

  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/course-basic/enable", "admin").status, 200);
  ASSERT_EQ(state_of(*kernel_, "course-basic"), "running");
  EXPECT_EQ(Call(Method::get, Path(id)).status, 200);
  EXPECT_EQ(Call(Method::get, "/api/v1/courses").body["courses"][0]["available"], true);
}

TEST_P(PublicAnswers, KeptAnswersExpireOnTheKernelClock) {
  Start("  course-basic: { enabled: true }\n", {"course-basic"});
  People();
  const auto t0 = clock_.now_ms();
  auto body = course_body("Timed", 0);  // free: released items are open to anyone
  body["content"]["items"][1]["release_at_ms"] = t0 + 500;
  body["content"]["items"].push_back(
      {{"id", "two"}, {"title", "Two"}, {"body", "Later"}, {"release_at_ms", t0 + kDayMs}});
  const auto id = Create(body);
  ASSERT_EQ(Call(Method::post, Path(id, "/publish"), "ann").status, 200);

  const auto kept = Cached(Path(id));
  EXPECT_EQ(Reason(kept, 0), "free_preview");
  EXPECT_EQ(Reason(kept, 1), "not_released");
  EXPECT_EQ(kept.body["items"][1]["access"]["available_at"], sdk::rfc3339(t0 + 500));
  EXPECT_EQ(Reason(kept, 2), "not_released");
  EXPECT_EQ(Call(Method::get, Path(id, "/items/one")).code(), "not_released");

  // catalog.public_cache_ms (1000 by default) bounds how long a kept answer is used: past the
  // release time and that bound, the page is the handler's again.
  clock_.advance(1000ms);
  const auto before = Stats();
  const auto fresh = Call(Method::get, Path(id));
  EXPECT_EQ(Stats().hits, before.hits) << "an answer older than public_cache_ms was used";
  EXPECT_EQ(Reason(fresh, 1), "free_course");
  EXPECT_EQ(Reason(fresh, 2), "not_released");
  EXPECT_EQ(Call(Method::get, Path(id, "/items/one")).status, 200);
  EXPECT_EQ(Reason(Cached(Path(id)), 1), "free_course");

  clock_.advance(std::chrono::milliseconds(kDayMs));
  const auto later = Call(Method::get, Path(id));
  EXPECT_EQ(Reason(later, 1), "free_course");
  EXPECT_EQ(Reason(later, 2), "free_course");
}

TEST_P(PublicAnswers, ZeroMillisecondsKeepsNothing) {
  Boot("  course-basic: { enabled: true }\n", {"course-basic"}, "catalog:\n  public_cache_ms: 0\n");
  People();
  const auto id = Published("Uncached");
  const auto slug = Call(Method::get, Path(id)).body["course"]["slug"].get<std::string>();
  EXPECT_FALSE(kernel_->catalog().public_answers()->enabled());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call(Method::get, "/api/v1/courses").status, 200);
    EXPECT_EQ(Call(Method::get, "/api/v1/courses?sort=popular").status, 200);
    EXPECT_EQ(Call(Method::get, Path(id)).status, 200);
    EXPECT_EQ(Call(Method::get, "/api/v1/courses/" + slug).status, 200);
  }
  const auto stats = Stats();
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes, 0u);
  EXPECT_THAT(Call(Method::get, "/metrics").raw.body,
              HasSubstr("\nlore_public_answers_hits_total 0\n"));
  ASSERT_EQ(Call(Method::patch, Path(id), "ann", {{"title", "Still uncached"}}).status, 200);
  EXPECT_THAT(ListedTitles(), ElementsAre("Still uncached"));
}

TEST_P(PublicAnswers, OverHttpAKeptAnswerComesFromTheReactorWithARequestId) {
  Boot("  course-basic: { enabled: true }\n", {"course-basic"}, "", true);
  People();
  const auto id = Published("Over the wire");
  const auto base = "http://127.0.0.1:" + std::to_string(kernel_->port());
  for (const auto& path : {std::string("/api/v1/courses?limit=10"), Path(id)}) {
    SCOPED_TRACE(path);
    const auto s0 = Stats();
    const auto first = get(base + path);
    ASSERT_EQ(first.status, 200) << first.error << first.body;
    const auto second = get(base + path);
    ASSERT_EQ(second.status, 200) << second.error << second.body;
    const auto s1 = Stats();
    EXPECT_EQ(s1.misses, s0.misses + 1);
    EXPECT_EQ(s1.hits, s0.hits + 1);
    EXPECT_EQ(first.body, second.body);
    EXPECT_EQ(second.header("content-type"), "application/json");
    EXPECT_EQ(second.header("content-length"), std::to_string(second.body.size()));
    EXPECT_FALSE(first.header("x-request-id").empty());
    EXPECT_FALSE(second.header("x-request-id").empty());
    EXPECT_NE(first.header("x-request-id"), second.header("x-request-id"));
    // A caller's own request id is echoed on a kept answer too.
    const auto traced = get(base + path, {{"X-Request-Id", "trace-me-123"}});
    EXPECT_EQ(traced.status, 200);
    EXPECT_EQ(traced.header("x-request-id"), "trace-me-123");
    EXPECT_EQ(traced.body, first.body);
    EXPECT_EQ(Stats().hits, s1.hits + 1);
  }
  // Signed in over HTTP: the handler answers, with the caller's access.
  ASSERT_EQ(Call(Method::post, Grants(id), "admin", {{"user_id", ids_.at("lea")}}).status, 200);
  const auto anonymous = get(base + Path(id));
  const auto before = Stats();
  const auto lea = get(base + Path(id), {{"Authorization", "Bearer " + tokens_.at("lea")}});
  ASSERT_EQ(lea.status, 200) << lea.error << lea.body;
  EXPECT_EQ(lea.json()["items"][1]["access"]["reason"], "entitled");
  EXPECT_EQ(anonymous.json()["items"][1]["access"]["reason"], "sign_in_required");
  EXPECT_EQ(Stats().hits, before.hits);
  // A write over HTTP shows at once over HTTP.
  const auto renamed = http(
      "PATCH", base + Path(id), R"({"title":"Renamed on the wire"})",
      {{"Authorization", "Bearer " + tokens_.at("ann")}, {"Content-Type", "application/json"}});
  ASSERT_EQ(renamed.status, 200) << renamed.error << renamed.body;
  EXPECT_EQ(get(base + Path(id)).json()["course"]["title"], "Renamed on the wire");
  EXPECT_EQ(get(base + "/api/v1/courses?limit=10").json()["courses"][0]["title"],
            "Renamed on the wire");
  kernel_->stop();
}

// The server looks a kept answer up on its reactor thread, before handing the request to a
// worker: with every worker busy, an anonymous visitor is still answered at once.
TEST_P(PublicAnswers, AKeptAnswerIsServedWhileEveryWorkerIsBusy) {
  Boot("  course-basic: { enabled: true }\n", {"course-basic"}, "", true);
  People();
  const auto id = Published("Served by the reactor");
  constexpr int kWorkers = 4;  // server.workers in kernel_yaml
  std::vector<std::int64_t> drafts;
  for (int i = 0; i < kWorkers; ++i)
    drafts.push_back(Create(course_body("Draft " + std::to_string(i))));
  const auto base = "http://127.0.0.1:" + std::to_string(kernel_->port());
  ASSERT_EQ(get(base + Path(id)).status, 200);  // kept from now on

  // Publishing fires course_published on the worker; the listener holds it there.
  std::mutex mutex;
  std::condition_variable changed;
  bool release = false;
  std::atomic<int> held{0};
  const auto subscription =
      kernel_->hooks().on(sdk::hooks::course_published, [&](const sdk::CoursePublished&) {
        ++held;
        std::unique_lock lock(mutex);
        changed.wait_for(lock, 30s, [&] { return release; });
      });
  std::vector<std::thread> publishers;
  struct Release {
    std::function<void()> run;
    ~Release() { run(); }
  } release_all{[&] {
    {
      std::lock_guard lock(mutex);
      release = true;
    }
    changed.notify_all();
    for (auto& t : publishers) t.join();
    kernel_->hooks().unsubscribe(subscription);
  }};
  for (const auto draft : drafts)
    publishers.emplace_back([&, draft] {
      http("POST", base + Path(draft, "/publish"), "",
           {{"Authorization", "Bearer " + tokens_.at("ann")}}, 60000);
    });
  for (int i = 0; i < 2000 && held.load() < kWorkers; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(held.load(), kWorkers) << "the publications did not all reach a worker";

  const auto before = Stats();
  const auto kept = http("GET", base + Path(id), "", {}, 5000);
  EXPECT_EQ(kept.status, 200) << kept.error;
  EXPECT_EQ(Stats().hits, before.hits + 1);
  EXPECT_FALSE(kept.header("x-request-id").empty());
  EXPECT_EQ(kept.json()["course"]["title"], "Served by the reactor");
  // What needs a worker waits: a signed-in read does not come back in time.
  const auto waiting =
      http("GET", base + Path(id), "", {{"Authorization", "Bearer " + tokens_.at("lea")}}, 300);
  EXPECT_EQ(waiting.status, 0) << "a worker was free after all: " << waiting.body;
}

INSTANTIATE_TEST_SUITE_P(, PublicAnswers, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
