#include "column_content.h"

#include <algorithm>
#include <set>

namespace course_column {

namespace http = lore::sdk::http;

namespace {

bool id_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// UTF-8 as RFC 3629 has it, checked the cheap way: lead bytes and their continuation counts.
bool valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80           ? 1
                               : (c >> 5) == 0x6  ? 2
                               : (c >> 4) == 0xE  ? 3
                               : (c >> 3) == 0x1E ? 4
                                                  : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    i += length;
  }
  return true;
}

bool whole_number(const nlohmann::json& v, std::int64_t min, std::int64_t max) {
  return v.is_number_integer() && v.get<std::int64_t>() >= min && v.get<std::int64_t>() <= max;
}

}  // namespace

std::vector<http::FieldError> check_content(const nlohmann::json& content, const Limits& limits) {
  std::vector<http::FieldError> problems;
  if (content.contains("every_days") && !whole_number(content["every_days"], 1, 365))
    problems.push_back(
        {"content.every_days", "invalid_value", "every_days must be a whole number from 1 to 365"});
  const auto it = content.find("articles");
  if (it == content.end() || !it->is_array() || it->empty()) {
    problems.push_back({"content.articles", "required", "a column needs a list of articles"});
    return problems;
  }
  if (static_cast<std::int64_t>(it->size()) > limits.max_articles)
    problems.push_back(
        {"content.articles", "too_many",
         "a column holds at most " + std::to_string(limits.max_articles) + " articles"});
  std::set<std::string> ids;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& a = (*it)[i];
    const auto at = "content.articles[" + std::to_string(i) + "]";
    if (!a.is_object()) {
      problems.push_back({at, "invalid_type", "an article is an object"});
      continue;
    }
    const auto id = a.contains("id") && a["id"].is_string() ? a["id"].get<std::string>() : "";
    if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), id_character))
      problems.push_back({at + ".id", a.contains("id") ? "invalid_id" : "required",
                          "id must be 1 to 64 lower-case letters, digits, - or _"});
    else if (!ids.insert(id).second)
      problems.push_back({at + ".id", "duplicate", "article ids are unique within a column"});
    const auto title =
        a.contains("title") && a["title"].is_string() ? a["title"].get<std::string>() : "";
    if (title.empty() || title.size() > 200 || !valid_utf8(title))
      problems.push_back({at + ".title", a.contains("title") ? "invalid_title" : "required",
                          "title must be 1 to 200 bytes of UTF-8"});
    if (!a.contains("body") || !a["body"].is_string())
      problems.push_back({at + ".body", a.contains("body") ? "invalid_type" : "required",
                          "body must be the article in Markdown"});
    else if (static_cast<std::int64_t>(a["body"].get_ref<const std::string&>().size()) >
             limits.max_article_bytes)
      problems.push_back(
          {at + ".body", "too_long",
           "body must be at most " + std::to_string(limits.max_article_bytes) + " bytes"});
    else if (!valid_utf8(a["body"].get_ref<const std::string&>()))
      problems.push_back({at + ".body", "invalid_text", "body must be UTF-8"});
    if (a.contains("trial") && !a["trial"].is_boolean())
      problems.push_back({at + ".trial", "invalid_type", "trial must be true or false"});
    if (a.contains("release_at_ms") && !whole_number(a["release_at_ms"], 0, 253402300799999))
      problems.push_back({at + ".release_at_ms", "invalid_value",
                          "release_at_ms must be a time in milliseconds since 1970"});
    if (a.contains("release_after_days") && !whole_number(a["release_after_days"], 0, 3650))
      problems.push_back({at + ".release_after_days", "invalid_value",
                          "release_after_days must be a whole number from 0 to 3650"});
  }
  return problems;
}

std::vector<Article> articles_of(const nlohmann::json& content) {
  const std::int64_t every_days = content.value("every_days", std::int64_t{0});
  std::vector<Article> out;
  std::int64_t paid = 0;
  for (const auto& a : content["articles"]) {
    Article article{a["id"].get<std::string>(),
                    a["title"].get<std::string>(),
                    a["body"].get<std::string>(),
                    a.value("trial", false),
                    a.value("release_at_ms", std::int64_t{0}),
                    a.value("release_after_days", std::int64_t{0})};
    if (!article.trial) {
      if (every_days > 0 && !a.contains("release_after_days"))
        article.release_after_days = paid * every_days;
      ++paid;
    }
    out.push_back(std::move(article));
  }
  return out;
}

}  // namespace course_column
