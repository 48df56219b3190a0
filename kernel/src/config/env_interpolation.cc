#include "config/env_interpolation.h"

#include <cstdlib>

namespace lore {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<std::string> interpolate(std::string_view text, const EnvLookup& env,
                                       std::string& error) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out += '$';
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated '${' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      fallback = std::string(inner.substr(sep + 2));
      inner = inner.substr(0, sep);
    }
    bool valid_name = !inner.empty();
    for (char c : inner)
      valid_name = valid_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid_name) {
      error = "invalid environment variable name '" + std::string(inner) + "'";
      return std::nullopt;
    }
    auto value = env(std::string(inner));
    if (value && !value->empty()) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else if (value) {
      out += *value;
    } else {
      error = "environment variable " + std::string(inner) + " is not set (write ${" +
              std::string(inner) + ":-default} to give a default)";
      return std::nullopt;
    }
    i = close;
  }
  return out;
}

void interpolate_tree(YAML::Node node, const EnvLookup& env, YamlChecker& checker,
                      const std::string& path) {
  if (node.IsMap()) {
    for (auto entry : node)
      interpolate_tree(entry.second, env, checker, YamlChecker::join(path, entry.first.Scalar()));
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      interpolate_tree(node[i], env, checker, path + "[" + std::to_string(i) + "]");
  } else if (node.IsScalar() && node.Scalar().find('$') != std::string::npos) {
    std::string error;
    auto value = interpolate(node.Scalar(), env, error);
    if (!value) {
      checker.problem(node, path, error);
      return;
    }
    const std::string tag = node.Tag();
    node = *value;
    node.SetTag(tag);
  }
}

}  // namespace lore
