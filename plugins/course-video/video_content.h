// What a video course's `content` holds, checked:
//   {"sections": [{"title", "lessons": [{"id", "title", "duration_s", "media",
//                  "free_preview"?, "release_at_ms"?, "release_after_days"?}]}]}
// `media` is the video's path in the media store (relative, no ".."): it is stored, and only
// ever leaves the server inside a signed link.
#pragma once

#include <lore/sdk/http.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace course_video {

struct Lesson {
  std::int64_t section_index = 0;
  std::string section_title;
  std::string id;
  std::string title;
  std::int64_t duration_s = 0;
  std::string media_path;
  bool free_preview = false;
  std::int64_t release_at_ms = 0;
  std::int64_t release_after_days = 0;
};

std::vector<lore::sdk::http::FieldError> check_content(const nlohmann::json& content);
std::vector<Lesson> lessons_of(const nlohmann::json& content);
// A relative path of the media store: [A-Za-z0-9._/-], no "..", no leading "/".
bool acceptable_media_path(std::string_view path);

}  // namespace course_video
