#include "live_content.h"

#include <algorithm>
#include <set>

namespace course_live {

namespace http = lore::sdk::http;

namespace {

bool id_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool web_url(const nlohmann::json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() <= 2000 && (s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0) &&
         s.find_first_of(" \t\r\n\"<>") == std::string::npos;
}

bool whole_number(const nlohmann::json& o, const char* key, std::int64_t min, std::int64_t max) {
  return o.contains(key) && o[key].is_number_integer() && o[key].get<std::int64_t>() >= min &&
         o[key].get<std::int64_t>() <= max;
}

}  // namespace

std::vector<http::FieldError> check_content(const nlohmann::json& content) {
  std::vector<http::FieldError> problems;
  const auto sessions = content.find("sessions");
  if (sessions == content.end() || !sessions->is_array() || sessions->empty() ||
      sessions->size() > 1000) {
    problems.push_back({"content.sessions", "required", "a live course needs 1 to 1000 sessions"});
    return problems;
  }
  std::set<std::string> ids;
  for (std::size_t i = 0; i < sessions->size(); ++i) {
    const auto& s = (*sessions)[i];
    const auto at = "content.sessions[" + std::to_string(i) + "]";
    if (!s.is_object()) {
      problems.push_back({at, "invalid_type", "a session is an object"});
      continue;
    }
    const auto id = s.contains("id") && s["id"].is_string() ? s["id"].get<std::string>() : "";
    if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), id_character))
      problems.push_back({at + ".id", s.contains("id") ? "invalid_id" : "required",
                          "id must be 1 to 64 lower-case letters, digits, - or _"});
    else if (!ids.insert(id).second)
      problems.push_back({at + ".id", "duplicate", "session ids are unique within a course"});
    if (!s.contains("title") || !s["title"].is_string() || s["title"].get<std::string>().empty() ||
        s["title"].get<std::string>().size() > 200)
      problems.push_back(
          {at + ".title", "required", "every session needs a title of 1 to 200 bytes"});
    if (!whole_number(s, "starts_at_ms", 1, 253402300799999))
      problems.push_back({at + ".starts_at_ms",
                          s.contains("starts_at_ms") ? "invalid_value" : "required",
                          "starts_at_ms must be a time in milliseconds since 1970"});
    if (!whole_number(s, "duration_min", 1, 1440))
      problems.push_back({at + ".duration_min",
                          s.contains("duration_min") ? "invalid_value" : "required",
                          "duration_min must be 1 to 1440"});
    if (!whole_number(s, "capacity", 1, 100000))
      problems.push_back({at + ".capacity", s.contains("capacity") ? "invalid_value" : "required",
                          "capacity must be 1 to 100000 seats"});
    if (!s.contains("join_url") || !web_url(s["join_url"]))
      problems.push_back({at + ".join_url", s.contains("join_url") ? "invalid_url" : "required",
                          "join_url must be an http(s) URL"});
    if (s.contains("replay_url") && !s["replay_url"].is_null() && !web_url(s["replay_url"]))
      problems.push_back({at + ".replay_url", "invalid_url", "replay_url must be an http(s) URL"});
    if (s.contains("free_preview") && !s["free_preview"].is_boolean())
      problems.push_back({at + ".free_preview", "invalid_type", "true or false"});
  }
  return problems;
}

std::vector<Session> sessions_of(const nlohmann::json& content) {
  std::vector<Session> out;
  for (const auto& s : content["sessions"])
    out.push_back({s["id"].get<std::string>(), s["title"].get<std::string>(),
                   s["starts_at_ms"].get<std::int64_t>(), s["duration_min"].get<std::int64_t>(),
                   s["capacity"].get<std::int64_t>(), s["join_url"].get<std::string>(),
                   s.contains("replay_url") && s["replay_url"].is_string()
                       ? s["replay_url"].get<std::string>()
                       : std::string(),
                   s.value("free_preview", false)});
  return out;
}

}  // namespace course_live
