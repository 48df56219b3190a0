#include "http/route_table.h"

#include <algorithm>
#include <array>
#include <span>

namespace lore {

namespace {

constexpr std::size_t kMaxSegments = 32;

// Calls `visit` with each non-empty segment of `path` until it returns false; returns whether
// every segment was visited. Shared by registration and by the allocation-free lookup.
template <class Visit>
bool for_each_segment(std::string_view path, Visit&& visit) {
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i && !visit(path.substr(i, j - i))) return false;
    i = j;
  }
  return true;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

std::string shape_of(const std::vector<std::string>& segments) {
  std::string shape;
  for (const auto& s : segments) shape += "/" + (is_parameter(s) ? std::string("{}") : s);
  return shape.empty() ? "/" : shape;
}

// True when `a` has a literal where `b` has a parameter, at the first position they differ.
bool more_specific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < std::min(a.segments.size(), b.segments.size()); ++i) {
    bool pa = is_parameter(a.segments[i]), pb = is_parameter(b.segments[i]);
    if (pa != pb) return !pa;
  }
  return false;
}

}  // namespace

std::vector<std::string_view> RouteTable::split_path(std::string_view path) {
  std::vector<std::string_view> out;
  for_each_segment(path, [&](std::string_view segment) {
    out.push_back(segment);
    return true;
  });
  return out;
}

sdk::Status RouteTable::add(std::string owner, std::shared_ptr<void> anchor, sdk::RouteSpec spec,
                            sdk::ErasedHandler handler,
                            std::shared_ptr<ResponseCache> response_cache) {
  const std::string where = std::string(sdk::http::to_string(spec.method)) + " " + spec.path;
  if (!spec.access) return sdk::Status::error("route " + where + " declares no access rule");
  using Kind = sdk::http::Access::Kind;
  if (spec.access->kind() != Kind::anonymous && spec.execution == sdk::Execution::reactor)
    return sdk::Status::error("route " + where +
                              ": only anonymous routes may run on the reactor (checking who "
                              "calls may block)");
  if (spec.access->kind() == Kind::role && spec.access->role_name().empty())
    return sdk::Status::error("route " + where + ": Access::role needs a role name");
  if (spec.access->kind() == Kind::owner && !spec.access->owner_of())
    return sdk::Status::error("route " + where + ": Access::owner needs an ownership lookup");
  if (!handler) return sdk::Status::error("route " + where + " has no handler");
  if (response_cache &&
      (spec.access->kind() != Kind::anonymous || spec.method != sdk::http::Method::get))
    return sdk::Status::error("route " + where +
                              ": only anonymous GET routes may answer from a response cache");
  if (spec.path.empty() || spec.path.front() != '/')
    return sdk::Status::error("route " + where + ": path must start with '/'");

  auto route = std::make_shared<Route>();
  for (auto segment : split_path(spec.path)) {
    bool has_brace = segment.find_first_of("{}") != std::string_view::npos;
    if (has_brace && !is_parameter(segment))
      return sdk::Status::error("route " + where + ": malformed parameter segment '" +
                                std::string(segment) + "'");
    route->segments.emplace_back(segment);
  }
  if (route->segments.size() > kMaxSegments)
    return sdk::Status::error("route " + where + ": more than " + std::to_string(kMaxSegments) +
                              " path segments");
  const std::string key = std::string(sdk::http::to_string(spec.method)) + " " + spec.path;

  std::lock_guard lock(write_mutex_);
  auto current = routes_.load();
  for (const auto& existing : *current) {
    if (existing->spec.method == spec.method &&
        shape_of(existing->segments) == shape_of(route->segments))
      return sdk::Status::error("route " + where + " clashes with " + existing->spec.path +
                                " registered by " + existing->owner);
  }
  auto& stats = stats_[key];
  if (!stats) stats = std::make_shared<RouteStats>();
  route->anchor = std::move(anchor);
  route->handler = std::move(handler);
  route->spec = std::move(spec);
  route->owner = std::move(owner);
  route->stats = stats;
  route->response_cache = std::move(response_cache);
  // A new generation of an owner (a plugin started again) gets fresh counters; requests of the
  // old generation still hold the old ones.
  auto& closed = closed_[route->owner];
  auto& counter = in_flight_[route->owner];
  if (!closed || closed->load()) {
    closed = std::make_shared<std::atomic<bool>>(false);
    counter = std::make_shared<std::atomic<std::int64_t>>(0);
  }
  route->in_flight = counter;
  route->closed = closed;

  auto next = std::make_shared<Snapshot>(*current);
  next->push_back(std::move(route));
  routes_.store(std::move(next));
  return sdk::Status::ok();
}

std::size_t RouteTable::remove_owner(std::string_view owner) {
  std::lock_guard lock(write_mutex_);
  if (auto it = closed_.find(owner); it != closed_.end()) it->second->store(true);
  auto current = routes_.load();
  auto next = std::make_shared<Snapshot>();
  for (const auto& r : *current)
    if (r->owner != owner) next->push_back(r);
  std::size_t removed = current->size() - next->size();
  routes_.store(std::move(next));
  return removed;
}

std::int64_t RouteTable::in_flight(std::string_view owner) const {
  std::lock_guard lock(write_mutex_);
  auto it = in_flight_.find(owner);
  return it == in_flight_.end() ? 0 : it->second->load();
}

std::vector<std::pair<std::string, std::shared_ptr<RouteStats>>> RouteTable::all_stats() const {
  std::lock_guard lock(write_mutex_);
  return {stats_.begin(), stats_.end()};
}

RouteTable::Lookup RouteTable::find(sdk::http::Method method, std::string_view path) const {
  Lookup result;
  // Split into a fixed array: this runs for every request and must not allocate. No route has
  // more segments than kMaxSegments, so a longer path cannot match anything.
  std::array<std::string_view, kMaxSegments> storage;
  std::size_t count = 0;
  const bool fits = for_each_segment(path, [&](std::string_view segment) {
    if (count == kMaxSegments) return false;
    storage[count++] = segment;
    return true;
  });
  if (!fits) return result;
  const std::span<const std::string_view> segments(storage.data(), count);
  const auto routes = routes_.load(std::memory_order_acquire);
  for (const auto& route : *routes) {
    if (route->segments.size() != segments.size()) continue;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i)
      matches = is_parameter(route->segments[i]) || route->segments[i] == segments[i];
    if (!matches) continue;
    const bool method_matches =
        route->spec.method == method ||
        (method == sdk::http::Method::head && route->spec.method == sdk::http::Method::get);
    if (!method_matches) {
      if (std::find(result.allowed.begin(), result.allowed.end(), route->spec.method) ==
          result.allowed.end())
        result.allowed.push_back(route->spec.method);
      continue;
    }
    // Of two templates matching the same path, the one with a literal segment where the other
    // has a parameter (earliest such position) wins: /users/me beats /users/{id}.
    if (result.match && !more_specific(*route, *result.match->route)) continue;
    RouteMatch match{route, {}};
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const auto& s = route->segments[i];
      if (is_parameter(s)) match.params.emplace(s.substr(1, s.size() - 2), segments[i]);
    }
    result.match = std::move(match);
  }
  if (result.match) result.allowed.clear();
  return result;
}

std::vector<std::shared_ptr<const Route>> RouteTable::routes() const {
  auto snapshot = routes_.load();
  return {snapshot->begin(), snapshot->end()};
}

}  // namespace lore
