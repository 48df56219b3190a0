// Fills a site with demo users and courses from a YAML file (config/demo-data.yaml, named by
// the configuration's `demo_data`). What is there already is left alone: users by email,
// courses by slug, so the owner's edits survive restarts and the file can grow. Courses are
// created and published through the catalog like the API's, so each course type checks its
// content. A bad entry is reported with file:line:column and skipped; the rest still loads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace lore {

class AccountService;
class CatalogService;

struct DemoDataReport {
  int users_created = 0;
  int users_present = 0;
  int courses_created = 0;
  int courses_present = 0;
  std::vector<std::string> problems;  // "file:line:column: path: what"
};

DemoDataReport load_demo_data(const std::string& file, AccountService& accounts,
                              CatalogService& catalog);

// What demo_yaml_to_json could not read, and where.
class DemoYamlError : public std::invalid_argument {
 public:
  DemoYamlError(YAML::Node node, const std::string& what)
      : std::invalid_argument(what), node_(std::move(node)) {}
  const YAML::Node& node() const noexcept { return node_; }

 private:
  YAML::Node node_;
};

// YAML as JSON: plain scalars become null, booleans, integers or numbers where they read as
// such (YAML 1.2's core schema), quoted ones stay strings. `!from_now <n>m|h|d` (may be
// negative) becomes the time that far from `now_ms`, in milliseconds. Throws DemoYamlError.
nlohmann::json demo_yaml_to_json(const YAML::Node& node, std::int64_t now_ms);

}  // namespace lore
