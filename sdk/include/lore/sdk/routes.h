// Route registration: a plugin adds HTTP routes under its own ownership; when the plugin stops
// its routes disappear (404) after their in-flight requests have finished.
#pragma once

#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lore/sdk/access.h"
#include "lore/sdk/handler_guard.h"
#include "lore/sdk/http.h"
#include "lore/sdk/status.h"

namespace lore::sdk {

// Never throws; errors are carried in the Response (see `Routes::add`).
using ErasedHandler = std::function<http::Response(const http::Request&)>;

enum class Execution {
  worker,   // on the bounded worker pool: anything that may block (database, cache, network)
  reactor,  // on the HTTP reactor thread: only pure in-memory work that never blocks
};

struct RouteSpec {
  http::Method method = http::Method::get;
  std::string path;  // template, e.g. "/api/v1/courses/{id}"
  std::string summary;
  std::optional<http::Access> access;  // required: a route without it is refused
  // The scope a credential other than a session (an API key) must carry to call this route;
  // empty: such credentials cannot call it at all. Sessions are checked by `access` alone.
  std::string scope;
  Execution execution = Execution::worker;
  std::vector<std::string> tags;
  nlohmann::json openapi = nullptr;  // optional OpenAPI operation fields merged in
};

class Routes {
 public:
  virtual ~Routes() = default;
  virtual Status add_erased(RouteSpec spec, ErasedHandler handler) = 0;

  // `handler(const http::Request&) -> http::Response`; may throw http::Error (rendered as its
  // status) or anything else (rendered as 500 and counted as a plugin failure).
  template <class F>
  Status add(RouteSpec spec, F handler) {
    return add_erased(std::move(spec),
                      [fn = std::move(handler)](const http::Request& request) noexcept {
                        return call_guarded(fn, request);
                      });
  }

  static constexpr std::string_view kUnhandledCode = detail::kUnhandledCode;

 private:
  template <class F>
  static http::Response call_guarded(F& fn, const http::Request& request) noexcept {
    try {
      return fn(request);
    } catch (...) {
      return detail::current_exception_response();
    }
  }
};

}  // namespace lore::sdk
