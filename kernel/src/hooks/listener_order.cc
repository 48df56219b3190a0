#include "hooks/listener_order.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "core/strongly_connected.h"

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
  std::vector<bool> cycle_reported(n, false);
  auto place = [&](std::size_t next) {
    placed[next] = true;
    result.order.push_back(next);
    for (std::size_t to : edges[next])
      if (!placed[to] && --indegree[to] == 0) ready.insert(to);
  };
  while (result.order.size() < n) {
    if (!ready.empty()) {
      std::size_t next = *ready.begin();
      ready.erase(ready.begin());
      place(next);
      continue;
    }
    // Stalled: some constraints form a cycle. Break it at its best-ranked member and go on, so
    // constraints outside the cycle still hold.
    std::vector<std::vector<std::size_t>> remaining(n);
    for (std::size_t v = 0; v < n; ++v)
      if (!placed[v])
        for (std::size_t w : edges[v])
          if (!placed[w]) remaining[v].push_back(w);
    std::vector<std::size_t> breakers;
    for (const auto& component : strongly_connected_components(remaining)) {
      if (component.size() < 2 || placed[component.front()]) continue;
      std::size_t best = *std::min_element(component.begin(), component.end(), by_rank);
      breakers.push_back(best);
      if (cycle_reported[best]) continue;
      std::string names;
      for (std::size_t v : component) {
        cycle_reported[v] = true;
        if (!names.empty()) names += ", ";
        names += listeners[v].owner;
      }
      result.warnings.push_back("before/after constraints form a cycle among [" + names +
                                "]; it is broken at " + listeners[best].owner +
                                ", the rest keep their constraints");
    }
    std::size_t forced = *std::min_element(breakers.begin(), breakers.end(), by_rank);
    place(forced);
  }
  return result;
}

}  // namespace lore
