#include "plugin/dependency_resolver.h"

#include <algorithm>
#include <deque>
#include <set>

#include "core/strongly_connected.h"

namespace lore {

namespace {

// The shortest cycle through `start` inside its component, written from the cycle's smallest
// name so that every member of the same simple cycle reports the same text.
std::string describe_cycle(std::size_t start, const std::vector<std::vector<std::size_t>>& edges,
                           const std::set<std::size_t>& component,
                           const std::vector<std::string>& names) {
  std::vector<std::size_t> parent(names.size(), start);
  std::vector<bool> seen(names.size(), false);
  std::deque<std::size_t> queue{start};
  std::vector<std::size_t> cycle;
  while (!queue.empty() && cycle.empty()) {
    std::size_t v = queue.front();
    queue.pop_front();
    for (std::size_t w : edges[v]) {
      if (!component.count(w)) continue;
      if (w == start) {
        for (std::size_t x = v;; x = parent[x]) {
          cycle.push_back(x);
          if (x == start) break;
        }
        break;
      }
      if (seen[w]) continue;
      seen[w] = true;
      parent[w] = v;
      queue.push_back(w);
    }
  }
  std::reverse(cycle.begin(), cycle.end());  // start, ..., last before start
  auto smallest = std::min_element(cycle.begin(), cycle.end(),
                                   [&](auto a, auto b) { return names[a] < names[b]; });
  std::rotate(cycle.begin(), smallest, cycle.end());
  std::string text;
  for (std::size_t v : cycle) text += names[v] + " -> ";
  return text + names[cycle.front()];
}

}  // namespace

DependencyPlan plan_dependencies(const std::map<std::string, const Manifest*>& wanted) {
  DependencyPlan plan;

  // Direct problems: a requirement that is absent or of an incompatible version.
  for (const auto& [name, manifest] : wanted) {
    for (const auto& req : manifest->requires_plugins) {
      auto it = wanted.find(req.name);
      if (it == wanted.end()) {
        plan.refused[name] = "requires " + req.name + " " + req.range.text() +
                             ", which is not installed or not enabled";
        break;
      }
      if (!req.range.contains(it->second->version)) {
        plan.refused[name] = "requires " + req.name + " " + req.range.text() + ", but " + req.name +
                             " is " + it->second->version.to_string();
        break;
      }
    }
  }

  // Cycles: every plugin on one is refused, with a cycle through it spelled out.
  std::vector<std::string> names;
  std::map<std::string, std::size_t> index;
  for (const auto& [name, manifest] : wanted) {
    index[name] = names.size();
    names.push_back(name);
  }
  std::vector<std::vector<std::size_t>> edges(names.size());
  for (const auto& [name, manifest] : wanted)
    for (const auto& req : manifest->requires_plugins)
      if (auto it = index.find(req.name); it != index.end())
        edges[index[name]].push_back(it->second);
  for (auto& e : edges) std::sort(e.begin(), e.end());
  for (const auto& members : strongly_connected_components(edges)) {
    const std::size_t first = members.front();
    const bool cyclic = members.size() > 1 || std::find(edges[first].begin(), edges[first].end(),
                                                        first) != edges[first].end();
    if (!cyclic) continue;
    const std::set<std::size_t> component(members.begin(), members.end());
    for (std::size_t v : members)
      plan.refused[names[v]] = "dependency cycle: " + describe_cycle(v, edges, component, names);
  }

  // Refusal spreads to dependents until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [name, manifest] : wanted) {
      if (plan.refused.count(name)) continue;
      for (const auto& req : manifest->requires_plugins) {
        if (plan.refused.count(req.name)) {
          plan.refused[name] = "depends on " + req.name + ", which was refused";
          changed = true;
          break;
        }
      }
    }
  }

  // Topological order of the rest (Kahn), smallest name first among the ready ones.
  std::map<std::string, int> pending;
  std::map<std::string, std::vector<std::string>> dependents;
  for (const auto& [name, manifest] : wanted) {
    if (plan.refused.count(name)) continue;
    pending[name] = 0;
    for (const auto& req : manifest->requires_plugins) {
      ++pending[name];
      dependents[req.name].push_back(name);
    }
  }
  std::set<std::string> ready;
  for (const auto& [name, count] : pending)
    if (count == 0) ready.insert(name);
  while (!ready.empty()) {
    std::string next = *ready.begin();
    ready.erase(ready.begin());
    plan.start_order.push_back(next);
    for (const auto& d : dependents[next])
      if (--pending[d] == 0) ready.insert(d);
  }
  return plan;
}

}  // namespace lore
