// A small blocking HTTP client for tests (libcurl).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace lore::test {

struct HttpResult {
  long status = 0;  // 0 when the request did not complete
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string error;

  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

HttpResult http(const std::string& method, const std::string& url, const std::string& body = {},
                const std::map<std::string, std::string>& headers = {}, long timeout_ms = 10000);

inline HttpResult get(const std::string& url,
                      const std::map<std::string, std::string>& headers = {}) {
  return http("GET", url, {}, headers);
}

}  // namespace lore::test
