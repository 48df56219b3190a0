#include "plugin/dependency_resolver.h"

#include <algorithm>
#include <functional>
#include <set>

namespace lore {

DependencyPlan plan_dependencies(const std::map<std::string, const Manifest*>& wanted) {
  DependencyPlan plan;
  std::set<std::string> alive;
  for (const auto& [name, manifest] : wanted) alive.insert(name);

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
        plan.refused[name] = "requires " + req.name + " " + req.range.text() + ", but " +
                             req.name + " is " + it->second->version.to_string();
        break;
      }
    }
  }

  // Cycles: every plugin on a cycle is refused with the cycle spelled out.
  std::map<std::string, int> color;  // 0 white, 1 on stack, 2 done
  std::vector<std::string> stack;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    color[name] = 1;
    stack.push_back(name);
    for (const auto& req : wanted.at(name)->requires_plugins) {
      if (!wanted.count(req.name)) continue;
      if (color[req.name] == 1) {
        std::string cycle;
        auto from = std::find(stack.begin(), stack.end(), req.name);
        for (auto it = from; it != stack.end(); ++it) cycle += *it + " -> ";
        cycle += req.name;
        for (auto it = from; it != stack.end(); ++it)
          plan.refused.emplace(*it, "dependency cycle: " + cycle);
      } else if (color[req.name] == 0) {
        visit(req.name);
      }
    }
    stack.pop_back();
    color[name] = 2;
  };
  for (const auto& [name, manifest] : wanted)
    if (color[name] == 0) visit(name);

  // Refusal spreads to dependents until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [name, manifest] : wanted) {
      if (plan.refused.count(name)) continue;
      for (const auto& req : manifest->requires_plugins) {
        if (auto it = plan.refused.find(req.name); it != plan.refused.end()) {
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
      if (req.name == name) continue;
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
