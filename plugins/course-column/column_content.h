// What a column's `content` holds, checked:
//   {"every_days": 7?,
//    "articles": [{"id", "title", "body" (Markdown), "trial"?, "release_at_ms"?,
//                  "release_after_days"?}]}
// `every_days` releases the paid articles one after another: the k-th (from 0) opens k times
// every_days after the reader's entitlement began, unless it names its own release_after_days.
#pragma once

#include <lore/sdk/http.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace course_column {

struct Article {
  std::string id;
  std::string title;
  std::string body_markdown;
  bool trial = false;
  std::int64_t release_at_ms = 0;
  std::int64_t release_after_days = 0;
};

struct Limits {
  std::int64_t max_articles = 500;
  std::int64_t max_article_bytes = 200000;
};

// Every problem, by path from "content"; empty when `content` can be stored.
std::vector<lore::sdk::http::FieldError> check_content(const nlohmann::json& content,
                                                       const Limits& limits);
// The articles of checked content, with the column's schedule applied.
std::vector<Article> articles_of(const nlohmann::json& content);

}  // namespace course_column
