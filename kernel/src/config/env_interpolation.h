// ${VAR} and ${VAR:-default} in every scalar of a YAML tree; "$$" stands for a literal "$".
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/yaml_checker.h"

namespace lore {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

EnvLookup process_environment();

// Returns the interpolated text, or nullopt after recording a problem.
std::optional<std::string> interpolate(std::string_view text, const EnvLookup& env,
                                       std::string& error);

// Interpolates every scalar in place; problems go to `checker` with their location.
void interpolate_tree(YAML::Node node, const EnvLookup& env, YamlChecker& checker,
                      const std::string& path = "");

}  // namespace lore
