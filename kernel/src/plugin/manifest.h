// plugin.yaml: what the kernel knows about a plugin before loading any of its code.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_checker.h"
#include "plugin/semver.h"

namespace lore {

struct SettingSpec {
  enum class Type { string, integer, number, boolean, string_list };
  std::string name;
  Type type = Type::string;
  nlohmann::json default_value;  // null when there is none
  bool required = false;
  std::vector<std::string> allowed;  // enum, for strings
  std::optional<double> min, max;    // for numbers; for strings and lists, their length
  bool secret = false;               // never logged or shown by the API
  std::string description;
};

struct Requirement {
  std::string name;
  VersionRange range;
};

struct Manifest {
  std::string name;
  Version version;
  std::uint32_t abi = 0;
  std::string library;  // file name in the manifest's folder
  std::string description;
  std::vector<Requirement> requires_plugins;
  std::vector<std::string> provides;
  std::vector<SettingSpec> settings;
  std::filesystem::path directory;
  std::string file;  // path of plugin.yaml, for messages

  std::filesystem::path library_path() const { return directory / library; }
};

// Throws ConfigError with every problem (file:line:column).
Manifest parse_manifest_file(const std::filesystem::path& file);
Manifest parse_manifest(const std::string& yaml_text, const std::string& file_name,
                        const std::filesystem::path& directory);

// Checks `settings` (the plugin's block in lore.yaml) against the manifest's schema and fills in
// defaults. Problems are recorded in `checker` under `path` (e.g. "plugins.hello.settings").
nlohmann::json validate_settings(const Manifest& manifest, const YAML::Node& settings,
                                 YamlChecker& checker, const std::string& path);

std::string_view to_string(SettingSpec::Type type) noexcept;

// Settings with secrets replaced by "***", for logs and the admin API.
nlohmann::json redact_settings(const Manifest& manifest, const nlohmann::json& values);

}  // namespace lore
