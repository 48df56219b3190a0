#include "plugin/manifest.h"

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

namespace lore {

namespace {

bool valid_plugin_name(const std::string& name) {
  static const std::regex pattern("[a-z][a-z0-9-]{0,62}");
  return std::regex_match(name, pattern);
}

std::optional<SettingSpec::Type> parse_type(const std::string& text) {
  if (text == "string") return SettingSpec::Type::string;
  if (text == "integer") return SettingSpec::Type::integer;
  if (text == "number") return SettingSpec::Type::number;
  if (text == "boolean") return SettingSpec::Type::boolean;
  if (text == "string_list") return SettingSpec::Type::string_list;
  return std::nullopt;
}

// Reads one value of `spec`'s type, checking enum and range; nullopt after a problem.
std::optional<nlohmann::json> read_value(const SettingSpec& spec, const YAML::Node& node,
                                         YamlChecker& c, const std::string& path) {
  std::optional<nlohmann::json> value;
  double measure = 0;
  switch (spec.type) {
    case SettingSpec::Type::string:
      if (auto v = c.string(node, path)) {
        value = *v;
        measure = static_cast<double>(v->size());
      }
      break;
    case SettingSpec::Type::integer:
      if (auto v = c.integer(node, path, INT64_MIN, INT64_MAX)) {
        value = *v;
        measure = static_cast<double>(*v);
      }
      break;
    case SettingSpec::Type::number:
      if (auto v = c.number(node, path)) {
        value = *v;
        measure = *v;
      }
      break;
    case SettingSpec::Type::boolean:
      if (auto v = c.boolean(node, path)) value = *v;
      break;
    case SettingSpec::Type::string_list:
      if (auto v = c.string_list(node, path)) {
        value = *v;
        measure = static_cast<double>(v->size());
      }
      break;
  }
  if (!value) return std::nullopt;
  if (!spec.allowed.empty() && spec.type == SettingSpec::Type::string) {
    const auto text = value->get<std::string>();
    bool found = false;
    std::string list;
    for (const auto& a : spec.allowed) {
      found = found || a == text;
      list += (list.empty() ? "" : ", ") + a;
    }
    if (!found) {
      c.problem(node, path, "expected one of: " + list + "; got '" + text + "'");
      return std::nullopt;
    }
  }
  const bool sized =
      spec.type == SettingSpec::Type::string || spec.type == SettingSpec::Type::string_list;
  // Whole numbers in full (100000000, not 1e+08): they are what the user typed.
  auto fmt = [](double d) {
    std::ostringstream s;
    if (d == std::floor(d) && std::fabs(d) < 9.0e15)
      s << static_cast<std::int64_t>(d);
    else
      s << d;
    return s.str();
  };
  if (spec.min && measure < *spec.min) {
    c.problem(node, path,
              std::string(sized ? "expected a length of at least " : "expected at least ") +
                  fmt(*spec.min) + ", got " + fmt(measure));
    return std::nullopt;
  }
  if (spec.max && measure > *spec.max) {
    c.problem(node, path,
              std::string(sized ? "expected a length of at most " : "expected at most ") +
                  fmt(*spec.max) + ", got " + fmt(measure));
    return std::nullopt;
  }
  return value;
}

void read_setting_spec(const std::string& name, const YAML::Node& node, YamlChecker& c,
                       Manifest& m) {
  const std::string path = "settings." + name;
  if (!c.map(node, path,
             {"type", "default", "required", "enum", "min", "max", "secret", "description"}))
    return;
  SettingSpec spec;
  spec.name = name;
  if (auto n = node["type"]) {
    auto text = c.string(n, path + ".type");
    if (!text) return;
    auto type = parse_type(*text);
    if (!type) {
      c.problem(
          n, path + ".type",
          "expected one of: string, integer, number, boolean, string_list; got '" + *text + "'");
      return;
    }
    spec.type = *type;
  } else {
    c.problem(node, path, "missing 'type'");
    return;
  }
  if (auto n = node["required"]) spec.required = c.boolean(n, path + ".required").value_or(false);
  if (auto n = node["secret"]) spec.secret = c.boolean(n, path + ".secret").value_or(false);
  if (auto n = node["description"])
    spec.description = c.string(n, path + ".description").value_or("");
  if (auto n = node["enum"]) {
    if (auto v = c.string_list(n, path + ".enum")) spec.allowed = *v;
  }
  if (auto n = node["min"]) spec.min = c.number(n, path + ".min");
  if (auto n = node["max"]) spec.max = c.number(n, path + ".max");
  if (auto n = node["default"]) {
    if (auto v = read_value(spec, n, c, path + ".default")) spec.default_value = *v;
  }
  m.settings.push_back(std::move(spec));
}

}  // namespace

std::string_view to_string(SettingSpec::Type type) noexcept {
  switch (type) {
    case SettingSpec::Type::string: return "string";
    case SettingSpec::Type::integer: return "integer";
    case SettingSpec::Type::number: return "number";
    case SettingSpec::Type::boolean: return "boolean";
    case SettingSpec::Type::string_list: return "string_list";
  }
  return "string";
}

Manifest parse_manifest(const std::string& yaml_text, const std::string& file_name,
                        const std::filesystem::path& directory) {
  YAML::Node root = load_yaml(yaml_text, file_name);
  YamlChecker c(file_name);
  Manifest m;
  m.directory = directory;
  m.file = file_name;
  if (!c.map(
          root, "",
          {"name", "version", "abi", "library", "description", "requires", "provides", "settings"}))
    c.throw_if_failed();

  if (auto n = root["name"]) {
    if (auto v = c.string(n, "name")) {
      if (!valid_plugin_name(*v))
        c.problem(n, "name", "expected lower-case letters, digits and '-', starting with a letter");
      else if (*v == "kernel" || *v == "lore" || v->rfind("lore-", 0) == 0)
        // The kernel's component name and its table prefix lore_ are its own.
        c.problem(n, "name", "'" + *v + "' is reserved for the kernel (kernel, lore, lore-*)");
      else
        m.name = *v;
    }
  } else {
    c.problem(root, "name", "missing");
  }
  if (auto n = root["version"]) {
    if (auto v = c.string(n, "version")) {
      auto parsed = parse_version(*v);
      if (auto* version = std::get_if<Version>(&parsed))
        m.version = *version;
      else
        c.problem(n, "version", std::get<std::string>(parsed));
    }
  } else {
    c.problem(root, "version", "missing");
  }
  if (auto n = root["abi"]) {
    if (auto v = c.integer(n, "abi", 1, 1000000)) m.abi = static_cast<std::uint32_t>(*v);
  } else {
    c.problem(root, "abi", "missing (the SDK ABI version the plugin is built for)");
  }
  if (auto n = root["library"]) {
    if (auto v = c.string(n, "library")) {
      if (v->find('/') != std::string::npos)
        c.problem(n, "library", "expected a file name, not a path");
      else
        m.library = *v;
    }
  } else if (!m.name.empty()) {
    m.library = "lib" + m.name + ".so";
  }
  if (auto n = root["description"]) m.description = c.string(n, "description").value_or("");
  if (auto n = root["requires"]) {
    if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string path = "requires[" + std::to_string(i) + "]";
        const auto& r = n[i];
        if (!c.map(r, path, {"name", "version"})) continue;
        auto name = r["name"] ? c.string(r["name"], path + ".name") : std::nullopt;
        if (!r["name"]) c.problem(r, path + ".name", "missing");
        std::string range_text = "*";
        if (r["version"]) range_text = c.string(r["version"], path + ".version").value_or("*");
        auto range = VersionRange::parse(range_text);
        if (auto* e = std::get_if<std::string>(&range)) {
          c.problem(r["version"], path + ".version", *e);
          continue;
        }
        if (name) m.requires_plugins.push_back({*name, std::get<VersionRange>(range)});
      }
    } else if (!n.IsNull()) {
      c.problem(n, "requires", "expected a list of {name, version}");
    }
  }
  if (auto n = root["provides"]) {
    if (!n.IsNull()) {
      if (auto v = c.string_list(n, "provides")) m.provides = *v;
    }
  }
  if (auto n = root["settings"]) {
    if (!n.IsNull() && c.map(n, "settings"))
      for (const auto& entry : n) read_setting_spec(entry.first.Scalar(), entry.second, c, m);
  }
  c.throw_if_failed();
  return m;
}

Manifest parse_manifest_file(const std::filesystem::path& file) {
  return parse_manifest(read_text_file(file.string()), file.string(), file.parent_path());
}

nlohmann::json validate_settings(const Manifest& manifest, const YAML::Node& settings,
                                 YamlChecker& c, const std::string& path) {
  nlohmann::json values = nlohmann::json::object();
  if (settings.IsDefined() && !settings.IsNull()) {
    if (!c.map(settings, path)) return values;
    for (const auto& entry : settings) {
      const std::string key = entry.first.Scalar();
      bool known = false;
      for (const auto& spec : manifest.settings) known = known || spec.name == key;
      if (!known) {
        std::string list;
        for (const auto& spec : manifest.settings) list += (list.empty() ? "" : ", ") + spec.name;
        c.problem(entry.first, path + "." + key,
                  "unknown setting of plugin " + manifest.name +
                      (list.empty() ? "; it has no settings" : "; expected one of: " + list));
      }
    }
  }
  for (const auto& spec : manifest.settings) {
    YAML::Node node = settings.IsMap() ? settings[spec.name] : YAML::Node();
    if (node.IsDefined() && !node.IsNull()) {
      if (auto v = read_value(spec, node, c, path + "." + spec.name)) values[spec.name] = *v;
    } else if (!spec.default_value.is_null()) {
      values[spec.name] = spec.default_value;
    } else if (spec.required) {
      c.problem(settings, path + "." + spec.name,
                "required setting of plugin " + manifest.name + " is missing (" +
                    std::string(to_string(spec.type)) + ")");
    } else {
      values[spec.name] = nullptr;
    }
  }
  return values;
}

nlohmann::json redact_settings(const Manifest& manifest, const nlohmann::json& values) {
  nlohmann::json out = values;
  for (const auto& spec : manifest.settings)
    if (spec.secret && out.contains(spec.name) && !out[spec.name].is_null()) out[spec.name] = "***";
  return out;
}

}  // namespace lore
