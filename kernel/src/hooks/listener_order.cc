#include "hooks/listener_order.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace lore {

OrderResult resolve_listener_order(const std::vector<OrderInput>& listeners) {
  const std::size_t n = listeners.size();
  auto rank = [&](std::size_t i) {
    return std::tuple(listeners[i].priority, listeners[i].sequence, i);
  };

  // Edge a -> b means a runs before b. Constraints name plugins, so they fan out to every
  // listener that plugin owns on this hook; names of absent plugins are simply ignored.
  std::vector<std::vector<std::size_t>> edges(n);
  std::vector<std::size_t> indegree(n, 0);
  auto add_edge = [&](std::size_t from, std::size_t to) {
    if (from == to) return;
    edges[from].push_back(to);
    ++indegree[to];
  };
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      if (a == b || listeners[a].owner == listeners[b].owner) continue;
      for (const auto& name : listeners[a].before)
        if (listeners[b].owner == name) add_edge(a, b);
      for (const auto& name : listeners[a].after)
        if (listeners[b].owner == name) add_edge(b, a);
    }
  }

  // Kahn's algorithm, always taking the ready listener with the best (priority, sequence).
  auto by_rank = [&](std::size_t x, std::size_t y) { return rank(x) < rank(y); };
  std::set<std::size_t, decltype(by_rank)> ready(by_rank);
  for (std::size_t i = 0; i < n; ++i)
    if (indegree[i] == 0) ready.insert(i);

  OrderResult result;
  result.order.reserve(n);
  std::vector<bool> placed(n, false);
  while (!ready.empty()) {
    std::size_t next = *ready.begin();
    ready.erase(ready.begin());
    placed[next] = true;
    result.order.push_back(next);
    for (std::size_t to : edges[next])
      if (--indegree[to] == 0) ready.insert(to);
  }

  if (result.order.size() < n) {
    std::vector<std::size_t> rest;
    std::string names;
    for (std::size_t i = 0; i < n; ++i) {
      if (placed[i]) continue;
      rest.push_back(i);
      if (!names.empty()) names += ", ";
      names += listeners[i].owner;
    }
    std::sort(rest.begin(), rest.end(), by_rank);
    result.order.insert(result.order.end(), rest.begin(), rest.end());
    result.warnings.push_back("before/after constraints form a cycle among [" + names +
                              "]; those listeners run by priority and registration order");
  }
  return result;
}

}  // namespace lore
