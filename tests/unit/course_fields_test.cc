// Reading the catalog fields of POST/PATCH /api/v1/courses: every problem, by field, at once.
#include "catalog/course_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lore {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> problems_of(const nlohmann::json& body, bool creating = true) {
  std::vector<sdk::http::FieldError> problems;
  read_course_fields(body, creating, problems);
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.field + ":" + p.code);
  return out;
}

const nlohmann::json kGood = {{"type", "video"},
                              {"title", "  Go in Practice "},
                              {"slug", "go-in-practice"},
                              {"summary", "Concurrency, testing, tooling."},
                              {"cover_url", "https://cdn.example.com/go.png"},
                              {"tags", {"Go", "编程", "go"}},
                              {"price", {{"amount_minor", 9900}, {"currency", "CNY"}}},
                              {"content", {{"sections", nlohmann::json::array()}}}};

TEST(CourseFields, AGoodBodyIsReadAndNormalised) {
  std::vector<sdk::http::FieldError> problems;
  const auto f = read_course_fields(kGood, true, problems);
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(f.title, "Go in Practice");
  EXPECT_EQ(f.slug, "go-in-practice");
  EXPECT_EQ(f.type, "video");
  ASSERT_TRUE(f.tags);
  EXPECT_THAT(*f.tags, ElementsAre("go", "编程")) << "lower-cased, unique, sorted";
  ASSERT_TRUE(f.price);
  EXPECT_EQ(f.price->amount_minor, 9900);
  EXPECT_EQ(f.price->currency, "CNY");
}

TEST(CourseFields, CreatingNeedsTypeTitleAndPrice) {
  EXPECT_THAT(problems_of(nlohmann::json::object()),
              ElementsAre("type:required", "title:required", "price:required"));
  EXPECT_THAT(problems_of(nlohmann::json::object(), false), IsEmpty()) << "PATCH: all optional";
}

TEST(CourseFields, EveryBadFieldIsNamed) {
  const nlohmann::json bad = {{"slug", "Go_In"},
                              {"type", "Video!"},
                              {"title", std::string(201, 'x')},
                              {"summary", 12},
                              {"cover_url", "javascript:alert(1)"},
                              {"tags", {"ok", "", 7, "a,b"}},
                              {"price", {{"amount_minor", 99.5}, {"currency", "rmb"}}},
                              {"colour", "red"}};
  EXPECT_THAT(problems_of(bad),
              ElementsAre("colour:unknown_field", "slug:invalid_slug", "type:unknown_type",
                          "title:invalid_length", "summary:invalid_type", "cover_url:invalid_url",
                          "tags[1]:invalid_tag", "tags[2]:invalid_tag", "tags[3]:invalid_tag",
                          "price.amount_minor:invalid_amount", "price.currency:invalid_currency"));
}

TEST(CourseFields, MoneyIsWholeMinorUnitsWithACurrency) {
  auto with_price = [](nlohmann::json price) {
    auto body = kGood;
    body["price"] = std::move(price);
    return problems_of(body);
  };
  EXPECT_THAT(with_price({{"amount_minor", 0}, {"currency", "USD"}}), IsEmpty());
  EXPECT_THAT(with_price({{"amount_minor", kMaxPriceMinor}, {"currency", "JPY"}}), IsEmpty());
  EXPECT_THAT(with_price({{"amount_minor", kMaxPriceMinor + 1}, {"currency", "JPY"}}),
              ElementsAre("price.amount_minor:invalid_amount"));
  EXPECT_THAT(with_price({{"amount_minor", -1}, {"currency", "CNY"}}),
              ElementsAre("price.amount_minor:invalid_amount"));
  EXPECT_THAT(with_price({{"amount_minor", "9900"}, {"currency", "CNY"}}),
              ElementsAre("price.amount_minor:invalid_amount"));
  EXPECT_THAT(with_price({{"amount_minor", 100}}), ElementsAre("price.currency:required"));
  EXPECT_THAT(with_price(99), ElementsAre("price:invalid_type"));
}

TEST(CourseFields, SlugsCannotPassForIds) {
  auto with_slug = [](std::string slug) {
    auto body = kGood;
    body["slug"] = std::move(slug);
    return problems_of(body);
  };
  EXPECT_THAT(with_slug("2026"), ElementsAre("slug:invalid_slug"));
  EXPECT_THAT(with_slug("-go"), ElementsAre("slug:invalid_slug"));
  EXPECT_THAT(with_slug("go-"), ElementsAre("slug:invalid_slug"));
  EXPECT_THAT(with_slug("go-2026"), IsEmpty());
}

TEST(CourseFields, TextMustBeCleanUtf8) {
  auto body = kGood;
  body["title"] = std::string("bad\x01title");
  EXPECT_THAT(problems_of(body), ElementsAre("title:invalid_text"));
  body["title"] = "   ";
  EXPECT_THAT(problems_of(body), ElementsAre("title:invalid_length"));
  body = kGood;
  body["tags"] = nlohmann::json::array();
  for (int i = 0; i < 21; ++i) body["tags"].push_back("t" + std::to_string(i));
  EXPECT_THAT(problems_of(body), ElementsAre("tags:invalid_type"));
}

}  // namespace
}  // namespace lore
