// A plugin's settings, already validated by the kernel against the schema in its plugin.yaml
// and completed with defaults: every key the schema declares is present with the declared type.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

namespace lore::sdk {

class Settings {
 public:
  Settings() = default;
  explicit Settings(nlohmann::json values) : values_(std::move(values)) {}

  bool has(std::string_view key) const {
    return values_.is_object() && values_.contains(key) && !values_.at(std::string(key)).is_null();
  }

  // Throws nlohmann::json::exception when the key is missing or of another type; with a
  // schema-declared key that cannot happen.
  template <class T>
  T get(std::string_view key) const {
    return values_.at(std::string(key)).get<T>();
  }

  template <class T>
  T get_or(std::string_view key, T fallback) const {
    return has(key) ? get<T>(key) : std::move(fallback);
  }

  const nlohmann::json& values() const noexcept { return values_; }

 private:
  nlohmann::json values_ = nlohmann::json::object();
};

}  // namespace lore::sdk
