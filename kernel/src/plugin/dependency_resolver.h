// Decides which enabled plugins can start, and in which order, from their manifests alone.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plugin/manifest.h"

namespace lore {

struct DependencyPlan {
  std::vector<std::string> start_order;        // dependencies before dependents
  std::map<std::string, std::string> refused;  // plugin -> one-line reason
};

// `wanted`: enabled plugins that have a valid manifest and settings. A plugin is refused when a
// requirement is not wanted, has an incompatible version, was refused itself, or takes part in
// a dependency cycle. Ties in the order are broken by name, so the plan is deterministic.
DependencyPlan plan_dependencies(const std::map<std::string, const Manifest*>& wanted);

}  // namespace lore
