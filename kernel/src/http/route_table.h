// The route table: path templates per method, owned per plugin, swapped atomically.
//
// We route through our own table instead of Pistache's Rest::Router, whose lookup inserts into
// a shared map on the first request of an unrouted method (a data race in Pistache 0.0.5), and
// which cannot remove a plugin's routes at run time.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/response_cache.h"
#include "lore/sdk/routes.h"
#include "metrics/histogram.h"

namespace lore {

struct RouteStats {
  std::array<std::atomic<std::uint64_t>, 600> by_status{};
  Histogram latency{Histogram::http_buckets()};
};

struct Route {
  std::shared_ptr<void> anchor;  // first member: outlives the plugin's handler
  sdk::ErasedHandler handler;
  sdk::RouteSpec spec;
  std::string owner;
  std::vector<std::string> segments;  // "{name}" marks a parameter
  std::shared_ptr<RouteStats> stats;  // shared by re-registrations of the same method + path
  std::shared_ptr<std::atomic<std::int64_t>> in_flight;  // shared by all routes of the owner
  // Set when the owner's routes are removed. A request that found this route in an older
  // snapshot checks it after counting itself in flight, so the owner's drain cannot miss it.
  std::shared_ptr<std::atomic<bool>> closed;
  // Kernel routes only: answers for callers without credentials, looked up before the handler
  // (on the reactor when the server can) and stored by the handler. Null: none.
  std::shared_ptr<ResponseCache> response_cache;
};

struct RouteMatch {
  std::shared_ptr<const Route> route;
  std::map<std::string, std::string, std::less<>> params;
};

class RouteTable {
 public:
  // Refuses routes without an access declaration, with a malformed template, or that clash
  // with an existing route (same method and same shape of path).
  // `response_cache` only for anonymous GET routes.
  sdk::Status add(std::string owner, std::shared_ptr<void> anchor, sdk::RouteSpec spec,
                  sdk::ErasedHandler handler,
                  std::shared_ptr<ResponseCache> response_cache = nullptr);
  std::size_t remove_owner(std::string_view owner);
  // Requests of `owner` currently being handled (for draining before a plugin stops).
  std::int64_t in_flight(std::string_view owner) const;

  struct Lookup {
    std::optional<RouteMatch> match;
    std::vector<sdk::http::Method> allowed;  // when the path exists under other methods
  };
  Lookup find(sdk::http::Method method, std::string_view path) const;

  std::vector<std::shared_ptr<const Route>> routes() const;

  // Splits "/a/b/" into {"a","b"}; percent-decoding is left to the caller.
  static std::vector<std::string_view> split_path(std::string_view path);

 private:
  using Snapshot = std::vector<std::shared_ptr<const Route>>;
  mutable std::mutex write_mutex_;
  std::atomic<std::shared_ptr<const Snapshot>> routes_{std::make_shared<const Snapshot>()};
  std::map<std::string, std::shared_ptr<RouteStats>> stats_;  // guarded by write_mutex_
  std::map<std::string, std::shared_ptr<std::atomic<std::int64_t>>, std::less<>>
      in_flight_;  // guarded by write_mutex_
  std::map<std::string, std::shared_ptr<std::atomic<bool>>, std::less<>>
      closed_;  // guarded by write_mutex_

 public:
  // Every method+path shape ever registered with its stats, for /metrics.
  std::vector<std::pair<std::string, std::shared_ptr<RouteStats>>> all_stats() const;
};

}  // namespace lore
