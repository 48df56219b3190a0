// A JSON API request sent through an in-process kernel's pipeline (no sockets), and its answer
// parsed: what the integration tests of routes need.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/kernel.h"
#include "lore/sdk/http.h"

namespace lore::test {

struct ApiAnswer {
  int status = 0;
  nlohmann::json body;  // parsed when the answer is JSON
  sdk::http::Response raw;

  std::string code() const;     // error.code, or "" for a success
  std::string message() const;  // error.message, or ""
  // "field:code" for every field of a 400 invalid_request, in order.
  std::vector<std::string> fields() const;
  std::string header(const std::string& name) const;
};

struct ApiCall {
  sdk::http::Method method = sdk::http::Method::get;
  std::string path;   // may carry ?query=string (not percent-decoded)
  std::string body;   // sent as is
  std::string token;  // Authorization: Bearer <token> when not empty
  std::string ip = "127.0.0.1";
  std::map<std::string, std::string> headers = {};  // more headers, names in lower case
};

ApiAnswer call_api(Kernel& kernel, const ApiCall& call);

}  // namespace lore::test
