// HTTP as a plugin sees it: plain value types, independent of the server library.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lore::sdk::http {

enum class Method { get, head, post, put, patch, delete_, options };

constexpr std::string_view to_string(Method method) noexcept {
  switch (method) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::delete_: return "DELETE";
    case Method::options: return "OPTIONS";
  }
  return "GET";
}

// Who is calling: a signed-in user, through a session or a credential such as an API key.
struct Principal {
  std::int64_t user_id = 0;
  std::vector<std::string> roles;  // sorted
  std::string via;                 // "session", or the token verifier's name (e.g. "api_key")
  std::int64_t session_id = 0;     // for "session": the session the request came with
  // For credentials other than a session: the scopes it carries. A route reachable with such a
  // credential names the scope it needs (RouteSpec::scope).
  std::vector<std::string> scopes;

  bool has_role(std::string_view role) const {
    for (const auto& r : roles)
      if (r == role) return true;
    return false;
  }
  bool has_scope(std::string_view scope) const {
    for (const auto& s : scopes)
      if (s == scope) return true;
    return false;
  }
};

struct Request {
  Method method = Method::get;
  std::string path;  // without the query string
  std::string request_id;
  std::string remote_address;
  std::map<std::string, std::string, std::less<>> path_params;
  std::map<std::string, std::string, std::less<>> query;
  std::map<std::string, std::string, std::less<>> headers;  // names in lower case
  std::string body;
  std::optional<Principal> principal;

  const std::string* header(std::string_view lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? nullptr : &it->second;
  }
  std::string param(std::string_view name) const {
    auto it = path_params.find(name);
    return it == path_params.end() ? std::string{} : it->second;
  }
  std::optional<std::string> query_param(std::string_view name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
};

// Thrown by handlers to answer with the JSON error envelope; the SDK catches it inside the
// plugin and turns it into a Response, so it never crosses the library boundary.
class Error : public std::runtime_error {
 public:
  Error(int status, std::string code, const std::string& message, nlohmann::json details = nullptr)
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        details_(std::move(details)) {}
  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }
  const nlohmann::json& details() const noexcept { return details_; }

 private:
  int status_;
  std::string code_;
  nlohmann::json details_;
};

// One problem with one field of a request body, for 400 answers that list them all:
// details = {"fields": [{"field", "code", "message"}, ...]}.
struct FieldError {
  std::string field;
  std::string code;  // e.g. "required", "invalid_email", "too_long"
  std::string message;
};

inline nlohmann::json field_errors_details(const std::vector<FieldError>& errors) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& e : errors)
    fields.push_back({{"field", e.field}, {"code", e.code}, {"message", e.message}});
  return {{"fields", std::move(fields)}};
}

// 400 invalid_request listing every field at fault.
inline Error invalid_fields(std::vector<FieldError> errors) {
  std::string message = "invalid request: ";
  for (std::size_t i = 0; i < errors.size(); ++i)
    message += (i ? "; " : "") + errors[i].field + ": " + errors[i].message;
  return Error(400, "invalid_request", message, field_errors_details(errors));
}

struct ErrorInfo {
  std::string code;
  std::string message;
  nlohmann::json details;  // optional, e.g. per-field errors
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the kernel renders {"error":{"code","message","request_id",...}} as the body.
  std::optional<ErrorInfo> error;

  static Response json(const nlohmann::json& value, int status = 200) {
    Response r;
    r.status = status;
    r.body = value.dump();
    return r;
  }
  static Response text(std::string body, int status = 200,
                       std::string content_type = "text/plain; charset=utf-8") {
    Response r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
  }
  // 204: done, nothing to say (sent without a body, a type or a length).
  static Response no_content() {
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }
  static Response failure(int status, std::string code, std::string message,
                          nlohmann::json details = nullptr) {
    Response r;
    r.status = status;
    r.error = ErrorInfo{std::move(code), std::move(message), std::move(details)};
    return r;
  }
};

// Parses the body as JSON or throws Error(400, "invalid_json", ...).
inline nlohmann::json parse_json_body(const Request& request) {
  try {
    return nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(400, "invalid_json", std::string("request body is not valid JSON: ") + e.what());
  }
}

// The body as a JSON object, or 400 (invalid_json, or invalid_request naming "body").
inline nlohmann::json parse_json_object_body(const Request& request) {
  auto body = parse_json_body(request);
  if (!body.is_object())
    throw invalid_fields({{"body", "invalid_type", "the body must be a JSON object"}});
  return body;
}

// The string at `field` of a JSON object, or nullopt with a FieldError appended (required,
// invalid_type, too_long past `max_bytes`): collect them all, then throw invalid_fields.
inline std::optional<std::string> string_field(const nlohmann::json& body, const std::string& field,
                                               std::size_t max_bytes,
                                               std::vector<FieldError>& errors) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    errors.push_back({field, "required", field + " is required"});
    return std::nullopt;
  }
  if (!it->is_string()) {
    errors.push_back({field, "invalid_type", field + " must be a string"});
    return std::nullopt;
  }
  auto value = it->get<std::string>();
  if (value.size() > max_bytes) {
    errors.push_back(
        {field, "too_long", field + " must be at most " + std::to_string(max_bytes) + " bytes"});
    return std::nullopt;
  }
  return value;
}

}  // namespace lore::sdk::http
