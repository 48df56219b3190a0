// Reads YAML with precise complaints: every problem names the file, line and column (or the
// --set override it came from), the key path, and what was expected. Problems are collected so
// that one run reports all of them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lore {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  std::vector<std::string> problems_;
  std::set<std::string> reported_paths_;
};

// Parses YAML text; a syntax error becomes a ConfigError "file:line:column: invalid YAML: ...".
YAML::Node load_yaml(const std::string& text, const std::string& file_name);
// Reads a whole file; a missing file becomes a ConfigError naming it.
std::string read_text_file(const std::string& path);

class YamlChecker {
 public:
  explicit YamlChecker(std::string file, std::set<std::string> overridden_paths = {});

  // "file:line:column: path: message", or "--set path: message" for overridden keys.
  void problem(const YAML::Node& node, std::string_view path, std::string_view message);
  bool ok() const noexcept { return problems_.empty(); }
  const std::vector<std::string>& problems() const noexcept { return problems_; }
  void throw_if_failed() const;

  // Each returns nullopt (after recording a problem) when the node is not what is expected.
  bool map(const YAML::Node& node, std::string_view path,
           std::initializer_list<std::string_view> allowed_keys);
  bool map(const YAML::Node& node, std::string_view path);  // any keys
  std::optional<std::string> string(const YAML::Node& node, std::string_view path);
  std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view path,
                                      std::int64_t min, std::int64_t max);
  std::optional<double> number(const YAML::Node& node, std::string_view path);
  std::optional<bool> boolean(const YAML::Node& node, std::string_view path);
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node,
                                                      std::string_view path);

  static std::string join(std::string_view path, std::string_view key);
  static std::string describe(const YAML::Node& node);  // "the string 'abc'", "a map", ...

 private:
  std::string file_;
  std::set<std::string> overridden_;
  std::vector<std::string> problems_;
  std::set<std::string> reported_paths_;
};

}  // namespace lore
