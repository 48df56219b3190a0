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

#include "lore/sdk/db_value.h"
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

  static constexpr std::string_view kUnhandledCode = "internal";

 private:
  template <class F>
  static http::Response call_guarded(F& fn, const http::Request& request) noexcept {
    try {
      return fn(request);
    } catch (const http::Error& e) {
      return http::Response::failure(e.status(), e.code(), e.what());
    } catch (const db::Error& e) {
      return database_failure(e);
    } catch (const nlohmann::json::exception& e) {
      return http::Response::failure(400, "invalid_request", e.what());
    } catch (const std::exception& e) {
      return unhandled(e.what());
    } catch (...) {
      return unhandled("unknown exception");
    }
  }
  // An outage is the operator's problem, not the plugin's: 503 with Retry-After, not counted
  // against the plugin (the kernel logs the cause; clients do not need the database's address). A
  // duplicate key is the caller's: 409. Anything else is a bug: 500.
  static http::Response database_failure(const db::Error& e) {
    switch (e.kind()) {
      case db::ErrorKind::unavailable:
      case db::ErrorKind::timeout: {
        auto r = http::Response::failure(503, "database_unavailable",
                                         "the database is unavailable; try again shortly");
        r.headers.emplace_back("Retry-After", "1");
        return r;
      }
      case db::ErrorKind::duplicate:
        return http::Response::failure(409, "duplicate", "this resource already exists");
      case db::ErrorKind::conflict:
        return http::Response::failure(409, "conflict",
                                       "a concurrent change got in the way; try again");
      case db::ErrorKind::constraint:
      case db::ErrorKind::invalid: break;
    }
    return unhandled(std::string("database: ") + e.what());
  }
  static http::Response unhandled(std::string what) {
    auto r = http::Response::failure(500, std::string(kUnhandledCode), "internal error");
    r.error->details = nlohmann::json{{"exception", std::move(what)}};
    return r;
  }
};

}  // namespace lore::sdk
