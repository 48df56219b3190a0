// What happens to every request, independent of the HTTP library: request id, body limit,
// routing (404/405), access control, the handler, the JSON error envelope, metrics and the
// access log. The Pistache adapter feeds it; tests call it directly.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/request_authenticator.h"
#include "http/route_table.h"
#include "http/trusted_proxies.h"
#include "lore/sdk/http.h"

namespace spdlog {
class logger;
}

namespace lore {

struct PipelineOptions {
  std::size_t max_body_bytes = 1 << 20;
  bool access_log = true;
  TrustedProxies trusted_proxies;
};

// Counts a request of a route as in flight for as long as it lives.
class InFlightToken {
 public:
  InFlightToken() = default;
  explicit InFlightToken(std::shared_ptr<std::atomic<std::int64_t>> counter);
  InFlightToken(InFlightToken&&) noexcept = default;
  InFlightToken& operator=(InFlightToken&&) noexcept;
  InFlightToken(const InFlightToken&) = delete;
  InFlightToken& operator=(const InFlightToken&) = delete;
  ~InFlightToken();

 private:
  void release() noexcept;
  std::shared_ptr<std::atomic<std::int64_t>> counter_;
};

struct PreparedRequest {
  sdk::http::Request request;
  std::shared_ptr<const Route> route;           // null when answered early
  std::optional<sdk::http::Response> response;  // set when answered without the handler
  std::chrono::steady_clock::time_point started;
  InFlightToken in_flight;
  bool cache_checked = false;  // the route's response cache was asked already
};

class Pipeline {
 public:
  // Told about plugin handler failures (uncaught exceptions), for auto-disable.
  using FailureReporter = std::function<void(const std::string& plugin, const std::string& what)>;

  // `authenticator` may be null: then nobody is signed in.
  Pipeline(const RouteTable& routes, const RequestAuthenticator* authenticator,
           PipelineOptions options, FailureReporter on_failure,
           std::shared_ptr<spdlog::logger> access_log);

  // Cheap, never blocks: request id, limits, routing. Safe on a reactor thread.
  PreparedRequest prepare(sdk::http::Request request) const noexcept;
  // Authenticates, checks the route's access rule (which may look up the resource's owner),
  // runs the handler if all passed, then renders, counts and logs the final response. May block:
  // call it on a worker unless the route runs on the reactor (those are anonymous).
  sdk::http::Response complete(PreparedRequest& prepared) const noexcept;
  // Answers a prepared request with an error instead of running it (e.g. queue full).
  sdk::http::Response reject(PreparedRequest& prepared, int status, std::string code,
                             std::string message) const noexcept;
  // The route's cached answer to a caller without credentials, finished (counted and logged),
  // or nullopt when the handler must run. Never blocks: safe on a reactor thread.
  std::optional<sdk::http::Response> cached(PreparedRequest& prepared) const noexcept;
  // prepare + complete on the calling thread.
  sdk::http::Response handle(sdk::http::Request request) const noexcept;

  void render_metrics(std::string& out) const;

 private:
  sdk::http::Response finish(PreparedRequest& prepared,
                             sdk::http::Response response) const noexcept;
  // The answer refusing the request, or nullopt when its principal may call the route.
  std::optional<sdk::http::Response> admit(PreparedRequest& prepared) const;

  const RouteTable& routes_;
  const RequestAuthenticator* authenticator_;
  PipelineOptions options_;
  FailureReporter on_failure_;
  std::shared_ptr<spdlog::logger> access_log_;
  std::shared_ptr<RouteStats> unmatched_stats_;
};

// Renders {"error":{"code","message","request_id"[,"details"]}}.
std::string render_error_body(const sdk::http::ErrorInfo& error, std::string_view request_id);

}  // namespace lore
