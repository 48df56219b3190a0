#include "config/yaml_checker.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace lore {

namespace {

std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += '\n';
    out += p;
  }
  return out;
}

bool is_plain_scalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() != "!";  // "!" marks a quoted scalar in yaml-cpp
}

}  // namespace

YAML::Node load_yaml(const std::string& text, const std::string& file_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError({file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                       std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg});
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError({path + ": cannot read the file"});
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(joined(problems)), problems_(std::move(problems)) {}

YamlChecker::YamlChecker(std::string file, std::set<std::string> overridden_paths)
    : file_(std::move(file)), overridden_(std::move(overridden_paths)) {}

std::string YamlChecker::join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

std::string YamlChecker::describe(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  if (node.IsNull()) return "null";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

void YamlChecker::problem(const YAML::Node& node, std::string_view path, std::string_view message) {
  std::string where;
  for (const auto& o : overridden_) {
    if (path == o ||
        (path.size() > o.size() && path.substr(0, o.size()) == o && path[o.size()] == '.')) {
      where = "--set " + o;
      break;
    }
  }
  if (where.empty()) {
    where = file_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      where +=
          ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
    }
  }
  problems_.push_back(where + ": " +
                      (path.empty() ? std::string("(top level)") : std::string(path)) + ": " +
                      std::string(message));
}

void YamlChecker::throw_if_failed() const {
  if (!problems_.empty()) throw ConfigError(problems_);
}

bool YamlChecker::map(const YAML::Node& node, std::string_view path) {
  if (node.IsMap()) return true;
  problem(node, path, "expected a map, got " + describe(node));
  return false;
}

bool YamlChecker::map(const YAML::Node& node, std::string_view path,
                      std::initializer_list<std::string_view> allowed_keys) {
  if (!map(node, path)) return false;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    bool known = false;
    for (auto allowed : allowed_keys) known = known || key == allowed;
    if (known) continue;
    std::string list;
    for (auto allowed : allowed_keys) {
      if (!list.empty()) list += ", ";
      list += allowed;
    }
    problem(entry.first, join(path, key), "unknown key; expected one of: " + list);
  }
  return true;
}

std::optional<std::string> YamlChecker::string(const YAML::Node& node, std::string_view path) {
  if (node.IsScalar()) return node.Scalar();
  problem(node, path, "expected a string, got " + describe(node));
  return std::nullopt;
}

std::optional<std::int64_t> YamlChecker::integer(const YAML::Node& node, std::string_view path,
                                                 std::int64_t min, std::int64_t max) {
  if (node.IsScalar() && is_plain_scalar(node)) {
    const std::string& text = node.Scalar();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) {
      if (value >= min && value <= max) return value;
      problem(node, path,
              "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                  ", got " + text);
      return std::nullopt;
    }
  }
  problem(node, path, "expected an integer, got " + describe(node));
  return std::nullopt;
}

std::optional<double> YamlChecker::number(const YAML::Node& node, std::string_view path) {
  if (node.IsScalar() && is_plain_scalar(node)) {
    const std::string& text = node.Scalar();
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) return value;
  }
  problem(node, path, "expected a number, got " + describe(node));
  return std::nullopt;
}

std::optional<bool> YamlChecker::boolean(const YAML::Node& node, std::string_view path) {
  if (node.IsScalar() && is_plain_scalar(node)) {
    const std::string& t = node.Scalar();
    if (t == "true" || t == "True" || t == "TRUE" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "False" || t == "FALSE" || t == "no" || t == "off") return false;
  }
  problem(node, path, "expected true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlChecker::string_list(const YAML::Node& node,
                                                                 std::string_view path) {
  if (!node.IsSequence()) {
    problem(node, path, "expected a list of strings, got " + describe(node));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool good = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto value = string(node[i], std::string(path) + "[" + std::to_string(i) + "]");
    if (value)
      out.push_back(*value);
    else
      good = false;
  }
  if (!good) return std::nullopt;
  return out;
}

}  // namespace lore
