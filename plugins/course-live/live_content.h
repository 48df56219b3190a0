// What a live course's `content` holds, checked:
//   {"sessions": [{"id", "title", "starts_at_ms", "duration_min", "capacity", "join_url",
//                  "replay_url"?, "free_preview"?}]}
#pragma once

#include <lore/sdk/http.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace course_live {

struct Session {
  std::string id;
  std::string title;
  std::int64_t starts_at_ms = 0;
  std::int64_t duration_min = 0;
  std::int64_t capacity = 0;
  std::string join_url;
  std::string replay_url;
  bool free_preview = false;
};

std::vector<lore::sdk::http::FieldError> check_content(const nlohmann::json& content);
std::vector<Session> sessions_of(const nlohmann::json& content);

}  // namespace course_live
