#include "video_content.h"

#include <algorithm>
#include <set>

namespace course_video {

namespace http = lore::sdk::http;

namespace {

bool id_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool text_of(const nlohmann::json& o, const char* key, std::size_t max) {
  return o.contains(key) && o[key].is_string() && !o[key].get_ref<const std::string&>().empty() &&
         o[key].get_ref<const std::string&>().size() <= max;
}

bool whole_number(const nlohmann::json& o, const char* key, std::int64_t min, std::int64_t max) {
  return o.contains(key) && o[key].is_number_integer() && o[key].get<std::int64_t>() >= min &&
         o[key].get<std::int64_t>() <= max;
}

}  // namespace

bool acceptable_media_path(std::string_view path) {
  if (path.empty() || path.size() > 1000 || path.front() == '/') return false;
  if (path.find("..") != std::string_view::npos) return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '/' || c == '-';
  });
}

std::vector<http::FieldError> check_content(const nlohmann::json& content) {
  std::vector<http::FieldError> problems;
  const auto sections = content.find("sections");
  if (sections == content.end() || !sections->is_array() || sections->empty()) {
    problems.push_back({"content.sections", "required", "a video course needs sections"});
    return problems;
  }
  std::set<std::string> ids;
  std::size_t lessons_seen = 0;
  for (std::size_t s = 0; s < sections->size(); ++s) {
    const auto& section = (*sections)[s];
    const auto at = "content.sections[" + std::to_string(s) + "]";
    if (!section.is_object() || !text_of(section, "title", 200))
      problems.push_back(
          {at + ".title", "required", "every section needs a title of 1 to 200 bytes"});
    if (!section.is_object() || !section.contains("lessons") || !section["lessons"].is_array() ||
        section["lessons"].empty()) {
      problems.push_back({at + ".lessons", "required", "every section needs lessons"});
      continue;
    }
    for (std::size_t l = 0; l < section["lessons"].size(); ++l, ++lessons_seen) {
      const auto& lesson = section["lessons"][l];
      const auto here = at + ".lessons[" + std::to_string(l) + "]";
      if (!lesson.is_object()) {
        problems.push_back({here, "invalid_type", "a lesson is an object"});
        continue;
      }
      const auto id = text_of(lesson, "id", 64) ? lesson["id"].get<std::string>() : "";
      if (id.empty() || !std::all_of(id.begin(), id.end(), id_character))
        problems.push_back({here + ".id", lesson.contains("id") ? "invalid_id" : "required",
                            "id must be 1 to 64 lower-case letters, digits, - or _"});
      else if (!ids.insert(id).second)
        problems.push_back({here + ".id", "duplicate", "lesson ids are unique within a course"});
      if (!text_of(lesson, "title", 200))
        problems.push_back({here + ".title", "required", "every lesson needs a title"});
      if (!whole_number(lesson, "duration_s", 1, 24 * 3600))
        problems.push_back({here + ".duration_s",
                            lesson.contains("duration_s") ? "invalid_value" : "required",
                            "duration_s must be a whole number of seconds from 1 to 86400"});
      if (!lesson.contains("media") || !lesson["media"].is_string() ||
          !acceptable_media_path(lesson["media"].get_ref<const std::string&>()))
        problems.push_back({here + ".media", lesson.contains("media") ? "invalid_path" : "required",
                            "media must be a relative path in the media store ([A-Za-z0-9._/-], "
                            "no '..')"});
      if (lesson.contains("free_preview") && !lesson["free_preview"].is_boolean())
        problems.push_back({here + ".free_preview", "invalid_type", "true or false"});
      if (lesson.contains("release_at_ms") &&
          !whole_number(lesson, "release_at_ms", 0, 253402300799999))
        problems.push_back({here + ".release_at_ms", "invalid_value", "milliseconds since 1970"});
      if (lesson.contains("release_after_days") &&
          !whole_number(lesson, "release_after_days", 0, 3650))
        problems.push_back({here + ".release_after_days", "invalid_value", "0 to 3650 days"});
    }
  }
  if (lessons_seen > 2000)
    problems.push_back({"content.sections", "too_many", "a course holds at most 2000 lessons"});
  return problems;
}

std::vector<Lesson> lessons_of(const nlohmann::json& content) {
  std::vector<Lesson> out;
  std::int64_t index = 0;
  for (const auto& section : content["sections"]) {
    for (const auto& l : section["lessons"])
      out.push_back({index, section["title"].get<std::string>(), l["id"].get<std::string>(),
                     l["title"].get<std::string>(), l["duration_s"].get<std::int64_t>(),
                     l["media"].get<std::string>(), l.value("free_preview", false),
                     l.value("release_at_ms", std::int64_t{0}),
                     l.value("release_after_days", std::int64_t{0})});
    ++index;
  }
  return out;
}

}  // namespace course_video
