// How a plugin's code called by the kernel (a route handler, an ownership lookup) turns what it
// throws into a response on the plugin's side of the boundary: no exception crosses it.
#pragma once

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lore/sdk/db_value.h"
#include "lore/sdk/http.h"

namespace lore::sdk::detail {

inline constexpr std::string_view kUnhandledCode = "internal";

inline http::Response unhandled(std::string what) {
  auto r = http::Response::failure(500, std::string(kUnhandledCode), "internal error");
  r.error->details = nlohmann::json{{"exception", std::move(what)}};
  return r;
}

// An outage is the operator's problem, not the plugin's: 503 with Retry-After, not counted
// against the plugin (the kernel logs the cause; clients do not need the database's address). A
// duplicate key is the caller's: 409. Anything else is a bug: 500.
inline http::Response database_failure(const db::Error& e) {
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

// The response for the exception in flight; call only inside a catch block.
inline http::Response current_exception_response() noexcept {
  try {
    throw;
  } catch (const http::Error& e) {
    auto r = http::Response::failure(e.status(), e.code(), e.what(), e.details());
    if (e.status() == 429 || e.status() == 503)
      if (e.details().is_object() && e.details().contains("retry_after_s"))
        r.headers.emplace_back("Retry-After", e.details()["retry_after_s"].dump());
    return r;
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

// Runs `body` on the plugin's side of a noexcept boundary: nullopt when it returned, the
// response for what it threw otherwise.
template <class F>
std::optional<http::Response> failure_of(F&& body) noexcept {
  try {
    body();
    return std::nullopt;
  } catch (...) {
    return current_exception_response();
  }
}

}  // namespace lore::sdk::detail
