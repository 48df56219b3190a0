// Catalog entries in the kernel's tables (kernel/migrations/0003_create_catalog.sql), on SQLite
// and MariaDB: create, update, conditional status changes, and the public listing with its
// filters, sorts and keyset pages.
#include "catalog/course_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "support/api_fixture.h"

namespace lore::test {
namespace {

using namespace std::chrono_literals;
using sdk::db::Dialect;
using ::testing::ElementsAre;

class CourseStoreTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    Start("", {});
    store_ = std::make_unique<CourseStore>(kernel_->database(), clock_);
    Person("ann", {"creator"});
    Person("bob", {"creator"});
    ann_ = ids_.at("ann");
    bob_ = ids_.at("bob");
  }

  CourseFields fields(std::string title, std::int64_t price = 9900, std::string type = "video") {
    CourseFields f;
    f.type = std::move(type);
    f.title = std::move(title);
    f.price = sdk::courses::Price{price, "CNY"};
    return f;
  }
  Course create(const CourseFields& f, std::int64_t creator) {
    return kernel_->database().transact(
        [&](sdk::db::Transaction& tx) { return store_->create(tx, f, creator); });
  }
  bool publish(std::int64_t id) {
    return kernel_->database().transact([&](sdk::db::Transaction& tx) {
      return store_->transition(tx, id, {"draft", "archived"}, "published").second;
    });
  }
  std::int64_t count(const std::string& table) {
    return kernel_->database()
        .session()
        .query_one("SELECT COUNT(*) AS n FROM " + table)
        ->get<std::int64_t>("n");
  }
  std::vector<std::string> titles(const CoursePage& page) {
    std::vector<std::string> out;
    for (const auto& c : page.courses) out.push_back(c.title);
    return out;
  }
  std::string refusal(const std::function<void()>& body) {
    try {
      body();
    } catch (const sdk::http::Error& e) {
      return std::to_string(e.status()) + " " + e.code();
    }
    return "accepted";
  }

  std::unique_ptr<CourseStore> store_;
  std::int64_t ann_ = 0, bob_ = 0;
};

TEST_P(CourseStoreTest, CreatesFindsAndUpdates) {
  auto f = fields("Go in Practice");
  f.slug = "go-in-practice";
  f.tags = std::vector<std::string>{"go", "编程"};
  f.summary = "Concurrency and tooling.";
  const auto made = create(f, ann_);
  EXPECT_GT(made.id, 0);
  EXPECT_EQ(made.status, "draft");
  EXPECT_EQ(made.published_at_ms, 0);
  EXPECT_EQ(made.created_at_ms, clock_.now_ms());
  EXPECT_THAT(made.tags, ElementsAre("go", "编程"));
  EXPECT_EQ(made.price, (sdk::courses::Price{9900, "CNY"}));

  const auto by_slug = store_->find_by_slug("go-in-practice");
  ASSERT_TRUE(by_slug);
  EXPECT_EQ(by_slug->id, made.id);
  EXPECT_EQ(by_slug->summary, "Concurrency and tooling.");
  EXPECT_FALSE(store_->find(made.id + 1000));

  // Without a slug one is made up; a taken slug is 409 and writes nothing.
  EXPECT_EQ(create(fields("Untitled"), ann_).slug.rfind("c-", 0), 0u);
  const auto before = count("lore_courses");
  EXPECT_EQ(refusal([&] { create(f, bob_); }), "409 duplicate_slug");
  EXPECT_EQ(count("lore_courses"), before);

  clock_.advance(1s);
  CourseFields change;
  change.title = "Go in Practice, 2nd edition";
  change.tags = std::vector<std::string>{"go"};
  change.price = sdk::courses::Price{19900, "CNY"};
  const auto changed = kernel_->database().transact(
      [&](sdk::db::Transaction& tx) { return store_->update(tx, made.id, change); });
  EXPECT_EQ(changed.title, "Go in Practice, 2nd edition");
  EXPECT_EQ(changed.summary, "Concurrency and tooling.") << "absent fields stay";
  EXPECT_THAT(changed.tags, ElementsAre("go"));
  EXPECT_EQ(changed.price.amount_minor, 19900);
  EXPECT_EQ(changed.updated_at_ms, clock_.now_ms());
  EXPECT_EQ(count("lore_course_tags"), 1);

  CourseFields steal;
  steal.slug = "go-in-practice";
  const auto other = create(fields("Other"), bob_);
  EXPECT_EQ(refusal([&] {
              kernel_->database().transact(
                  [&](sdk::db::Transaction& tx) { return store_->update(tx, other.id, steal); });
            }),
            "409 duplicate_slug");
  EXPECT_EQ(refusal([&] {
              kernel_->database().transact(
                  [&](sdk::db::Transaction& tx) { return store_->update(tx, 999999, change); });
            }),
            "404 not_found");
}

TEST_P(CourseStoreTest, StatusChangesAreConditional) {
  const auto c = create(fields("Rust"), ann_);
  clock_.advance(1h);
  EXPECT_TRUE(publish(c.id));
  const auto published = store_->find(c.id);
  EXPECT_EQ(published->status, "published");
  EXPECT_EQ(published->published_at_ms, clock_.now_ms());
  EXPECT_FALSE(publish(c.id)) << "already published: nothing moves";

  clock_.advance(1h);
  const auto [archived, moved] = kernel_->database().transact([&](sdk::db::Transaction& tx) {
    return store_->transition(tx, c.id, {"published"}, "archived");
  });
  EXPECT_TRUE(moved);
  EXPECT_EQ(archived.status, "archived");
  EXPECT_TRUE(publish(c.id));
  EXPECT_EQ(store_->find(c.id)->published_at_ms, published->published_at_ms)
      << "the first publication is remembered";
}

TEST_P(CourseStoreTest, ListsFiltersAndPagesWithoutGapsOrRepeats) {
  std::set<std::int64_t> published;
  for (int i = 0; i < 25; ++i) {
    auto f = fields("Course " + std::to_string(i), i % 5 == 0 ? 0 : 1000 + i * 100,
                    i % 2 == 0 ? "video" : "column");
    f.tags = std::vector<std::string>{i % 3 == 0 ? "go" : "rust"};
    if (i == 7) f.summary = "Save 100% of your time";
    const auto c = create(f, i < 10 ? ann_ : bob_);
    clock_.advance(1min);
    publish(c.id);
    published.insert(c.id);
  }
  create(fields("A draft nobody sees"), ann_);

  CourseQuery all;
  all.limit = 10;
  std::set<std::int64_t> seen;
  std::vector<std::size_t> sizes;
  for (CoursePage page;;) {
    page = store_->list(all);
    sizes.push_back(page.courses.size());
    for (const auto& c : page.courses) EXPECT_TRUE(seen.insert(c.id).second) << "repeated";
    if (page.next_cursor.empty()) break;
    all.cursor = page.next_cursor;
    // A course published between pages does not shift the pages already read.
    if (sizes.size() == 1) publish(create(fields("Late"), ann_).id);
  }
  EXPECT_THAT(sizes, ElementsAre(10, 10, 5)) << "the late one sorts before the cursor";
  for (const auto id : published) EXPECT_TRUE(seen.count(id)) << id;

  CourseQuery q;
  q.limit = 100;
  q.sort = CourseSort::price_high;
  const auto by_price = store_->list(q);
  for (std::size_t i = 1; i < by_price.courses.size(); ++i)
    EXPECT_GE(by_price.courses[i - 1].price.amount_minor, by_price.courses[i].price.amount_minor);
  q.sort = CourseSort::newest;
  EXPECT_EQ(store_->list(q).courses.front().title, "Late");

  q.free = true;
  EXPECT_EQ(store_->list(q).courses.size(), 5u);
  q.free = false;
  q.type = "video";
  q.tag = "go";
  for (const auto& c : store_->list(q).courses) {
    EXPECT_EQ(c.type, "video");
    EXPECT_THAT(c.tags, ElementsAre("go"));
    EXPECT_GT(c.price.amount_minor, 0);
  }
  CourseQuery mine;
  mine.creator_id = bob_;
  mine.limit = 100;
  EXPECT_EQ(store_->list(mine).courses.size(), 15u);

  CourseQuery text;
  text.text = "COURSE 1";  // Course 1, Course 10..19
  EXPECT_EQ(store_->list(text).courses.size(), 11u);
  text.text = "100%";  // a wildcard in the text is a character, not "anything"
  EXPECT_THAT(titles(store_->list(text)), ElementsAre("Course 7"));

  CourseQuery drafts;
  drafts.statuses = {"draft"};
  EXPECT_THAT(titles(store_->list(drafts)), ElementsAre("A draft nobody sees"));
}

TEST_P(CourseStoreTest, ACursorOnlyServesItsOwnSort) {
  for (int i = 0; i < 3; ++i) publish(create(fields("C" + std::to_string(i)), ann_).id);
  CourseQuery q;
  q.limit = 1;
  const auto first = store_->list(q);
  ASSERT_FALSE(first.next_cursor.empty());
  q.sort = CourseSort::price_low;
  q.cursor = first.next_cursor;
  EXPECT_EQ(refusal([&] { store_->list(q); }), "400 invalid_request");
  q.cursor = "price_low:abc:1";
  EXPECT_EQ(refusal([&] { store_->list(q); }), "400 invalid_request");
}

INSTANTIATE_TEST_SUITE_P(, CourseStoreTest, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
