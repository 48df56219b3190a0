#include "http/response_cache.h"

#include <gtest/gtest.h>

#include "core/clocks.h"

namespace lore {
namespace {

using namespace std::chrono_literals;
namespace sh = sdk::http;

sh::Request get(std::string path, std::map<std::string, std::string, std::less<>> query = {}) {
  sh::Request r;
  r.method = sh::Method::get;
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

sh::Response body(std::string text) { return sh::Response::text(std::move(text)); }

std::string found(const ResponseCache& cache, const sh::Request& request) {
  auto hit = cache.find(request);
  return hit ? hit->body : std::string("<miss>");
}

class ResponseCacheTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  std::uint64_t epoch_ = 0;
  ResponseCache cache_{clock_, {.ttl_ms = 1000, .epoch = [this] { return epoch_; }}};
};

TEST_F(ResponseCacheTest, KeepsAnAnswerPerPathAndQuery) {
  EXPECT_EQ(found(cache_, get("/courses")), "<miss>");
  cache_.store(get("/courses"), body("all"), cache_.ticket(), 0);
  cache_.store(get("/courses", {{"tag", "sql"}}), body("sql"), cache_.ticket(), 0);
  EXPECT_EQ(found(cache_, get("/courses")), "all");
  EXPECT_EQ(found(cache_, get("/courses", {{"tag", "sql"}})), "sql");
  EXPECT_EQ(found(cache_, get("/courses", {{"tag", "go"}})), "<miss>");
  // A value that looks like a second parameter is not one.
  EXPECT_EQ(found(cache_, get("/courses", {{"tag", std::string("sql\0x", 5)}})), "<miss>");
  const auto stats = cache_.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 3u);
  EXPECT_EQ(stats.entries, 2u);
}

TEST_F(ResponseCacheTest, KeepsOnlySuccessfulAnswersToCallersWithoutCredentials) {
  auto signed_in = get("/a");
  signed_in.headers["authorization"] = "Bearer lore_x";
  EXPECT_FALSE(ResponseCache::shareable(signed_in));
  cache_.store(signed_in, body("mine"), cache_.ticket(), 0);
  signed_in.headers.clear();
  EXPECT_EQ(found(cache_, signed_in), "<miss>");

  auto with_principal = get("/b");
  with_principal.principal = sh::Principal{};
  cache_.store(with_principal, body("mine"), cache_.ticket(), 0);
  EXPECT_EQ(found(cache_, get("/b")), "<miss>");

  cache_.store(get("/c"), sh::Response::failure(404, "not_found", "no"), cache_.ticket(), 0);
  EXPECT_EQ(found(cache_, get("/c")), "<miss>");

  auto post = get("/d");
  post.method = sh::Method::post;
  EXPECT_FALSE(ResponseCache::shareable(post));
  cache_.store(post, body("posted"), cache_.ticket(), 0);
  EXPECT_EQ(found(cache_, get("/d")), "<miss>");
}

TEST_F(ResponseCacheTest, AnswersExpireOnTheKernelClock) {
  cache_.store(get("/a"), body("a"), cache_.ticket(), 0);
  clock_.advance(999ms);
  EXPECT_EQ(found(cache_, get("/a")), "a");
  clock_.advance(1ms);
  EXPECT_EQ(found(cache_, get("/a")), "<miss>");
}

TEST_F(ResponseCacheTest, InvalidatingASubjectDropsItsAnswersAndEveryList) {
  cache_.store(get("/courses/1"), body("one"), cache_.ticket(), 1);
  cache_.store(get("/courses/2"), body("two"), cache_.ticket(), 2);
  cache_.store(get("/courses"), body("list"), cache_.ticket(), 0);
  cache_.invalidate(1);
  EXPECT_EQ(found(cache_, get("/courses/1")), "<miss>");
  EXPECT_EQ(found(cache_, get("/courses")), "<miss>");
  EXPECT_EQ(found(cache_, get("/courses/2")), "two");
  // Answers read after the change are kept again.
  cache_.store(get("/courses/1"), body("one again"), cache_.ticket(), 1);
  EXPECT_EQ(found(cache_, get("/courses/1")), "one again");
  cache_.invalidate_all();
  EXPECT_EQ(found(cache_, get("/courses/1")), "<miss>");
  EXPECT_EQ(found(cache_, get("/courses/2")), "<miss>");
  EXPECT_EQ(cache_.stats().entries, 0u);
}

TEST_F(ResponseCacheTest, AnAnswerReadBeforeAChangeIsNeverKept) {
  const auto before = cache_.ticket();  // the handler starts reading...
  cache_.invalidate(7);                 // ...a write commits meanwhile...
  cache_.store(get("/courses/7"), body("old"), before, 7);
  cache_.store(get("/courses"), body("old list"), before, 0);
  EXPECT_EQ(found(cache_, get("/courses/7")), "<miss>");
  EXPECT_EQ(found(cache_, get("/courses")), "<miss>");
  // A change to another subject does not spoil this one's page.
  const auto fresh = cache_.ticket();
  cache_.invalidate(8);
  cache_.store(get("/courses/7"), body("new"), fresh, 7);
  EXPECT_EQ(found(cache_, get("/courses/7")), "new");
}

TEST_F(ResponseCacheTest, AnEpochChangeDropsEverything) {
  cache_.store(get("/a"), body("a"), cache_.ticket(), 3);
  const auto before = cache_.ticket();
  ++epoch_;  // a course type started or stopped
  EXPECT_EQ(found(cache_, get("/a")), "<miss>");
  cache_.store(get("/b"), body("b"), before, 3);
  EXPECT_EQ(found(cache_, get("/b")), "<miss>");
  cache_.store(get("/b"), body("b"), cache_.ticket(), 3);
  EXPECT_EQ(found(cache_, get("/b")), "b");
}

TEST(ResponseCache, StaysWithinItsBytesAndSweepsWhenFull) {
  ManualClock clock;
  ResponseCache cache(clock, {.ttl_ms = 1000, .max_bytes = 4096, .max_body_bytes = 1500});
  const std::string kilobyte(1000, 'x');
  cache.store(get("/too-big"), body(std::string(1501, 'x')), cache.ticket(), 0);
  EXPECT_EQ(found(cache, get("/too-big")), "<miss>");
  int kept = 0;
  for (int i = 0; i < 10; ++i) {
    cache.store(get("/p" + std::to_string(i)), body(kilobyte), cache.ticket(), 0);
    kept += found(cache, get("/p" + std::to_string(i))) == kilobyte ? 1 : 0;
  }
  EXPECT_GE(kept, 2);
  EXPECT_LT(kept, 10);
  EXPECT_LE(cache.stats().bytes, 4096u);
  // Once they expire, new answers find room again.
  clock.advance(1s);
  cache.store(get("/later"), body(kilobyte), cache.ticket(), 0);
  EXPECT_EQ(found(cache, get("/later")), kilobyte);
}

TEST(ResponseCache, ATimeToLiveOfZeroKeepsNothing) {
  ManualClock clock;
  ResponseCache cache(clock, {.ttl_ms = 0});
  EXPECT_FALSE(cache.enabled());
  cache.store(get("/a"), body("a"), cache.ticket(), 0);
  EXPECT_EQ(found(cache, get("/a")), "<miss>");
}

}  // namespace
}  // namespace lore
