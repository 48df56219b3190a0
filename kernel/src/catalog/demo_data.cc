#include "catalog/demo_data.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <stdexcept>

#include "accounts/account_error.h"
#include "accounts/account_service.h"
#include "catalog/catalog_service.h"
#include "config/yaml_checker.h"

namespace lore {

namespace {

constexpr std::int64_t kMinute = 60 * 1000;

std::optional<std::int64_t> whole_number(const std::string& text) {
  std::string_view digits(text);
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return value;
}

// "72h", "-2d", "30m" as milliseconds.
std::int64_t offset_ms(const YAML::Node& node) {
  const auto& text = node.Scalar();
  if (text.size() >= 2) {
    const char unit = text.back();
    const std::int64_t scale = unit == 'm'   ? kMinute
                               : unit == 'h' ? 60 * kMinute
                               : unit == 'd' ? 24 * 60 * kMinute
                                             : 0;
    const auto amount = whole_number(text.substr(0, text.size() - 1));
    if (scale != 0 && amount && *amount > -100000 && *amount < 100000) return *amount * scale;
  }
  throw DemoYamlError(
      node, "!from_now expects a whole number of m, h or d (like 72h or -2d), not '" + text + "'");
}

nlohmann::json plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (auto n = whole_number(text)) return *n;
  // Numbers with a fraction or exponent; anything else (like "1.2.3") stays text.
  if (text.find_first_not_of("+-0123456789.eE") == std::string::npos) {
    try {
      std::size_t used = 0;
      const double d = std::stod(text, &used);
      if (used == text.size()) return d;
    } catch (const std::exception&) {
    }
  }
  return text;
}

// The node at "content.sessions[0].title" below `root`, or `root` when the path leaves the
// file's shape: where to point a complaint.
YAML::Node node_at(const YAML::Node& root, const std::string& path) {
  YAML::Node node = root;
  std::size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '.') ++at;
    if (at < path.size() && path[at] == '[') {
      const auto close = path.find(']', at);
      if (close == std::string::npos) return root;
      const auto index = whole_number(path.substr(at + 1, close - at - 1));
      if (!index || !node.IsSequence() || *index < 0 ||
          static_cast<std::size_t>(*index) >= node.size())
        return root;
      // reset, not =: assigning a yaml-cpp node writes into the node it refers to.
      node.reset(node[static_cast<std::size_t>(*index)]);
      at = close + 1;
      continue;
    }
    const auto end = path.find_first_of(".[", at);
    const auto key = path.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!node.IsMap() || !node[key]) return root;
    node.reset(node[key]);
    at = end == std::string::npos ? path.size() : end;
  }
  return node;
}

struct Loader {
  AccountService& accounts;
  CatalogService& catalog;
  YamlChecker checker;
  DemoDataReport report;
  std::map<std::string, std::int64_t> user_ids;  // by email, as written in the file

  void users(const YAML::Node& list) {
    if (!list.IsSequence()) {
      checker.problem(list, "users", "expected a list of users");
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& node = list[i];
      const auto path = "users[" + std::to_string(i) + "]";
      if (!checker.map(node, path, {"email", "display_name", "roles"}) || !node["email"]) {
        if (node.IsMap()) checker.problem(node, path + ".email", "every user needs an email");
        continue;
      }
      const auto email = checker.string(node["email"], path + ".email");
      if (!email) continue;
      NewUser user{*email, *email, {"learner"}};
      if (auto n = node["display_name"])
        if (auto v = checker.string(n, path + ".display_name")) user.display_name = *v;
      if (auto n = node["roles"])
        if (auto v = checker.string_list(n, path + ".roles")) user.roles = *v;
      try {
        if (auto existing = accounts.users().find_by_email(*email)) {
          user_ids[*email] = existing->id;
          ++report.users_present;
          continue;
        }
        user_ids[*email] = accounts.users().create(user).id;
        ++report.users_created;
      } catch (const AccountError& e) {
        if (e.fields().empty()) checker.problem(node, path, e.what());
        for (const auto& f : e.fields())
          checker.problem(node_at(node, f.field), path + "." + f.field, f.message);
      }
    }
  }

  std::optional<std::int64_t> creator(const YAML::Node& course, const std::string& path) {
    const auto node = course["creator"];
    if (!node) {
      checker.problem(course, path + ".creator", "every course needs a creator (a user's email)");
      return std::nullopt;
    }
    const auto email = checker.string(node, path + ".creator");
    if (!email) return std::nullopt;
    if (auto it = user_ids.find(*email); it != user_ids.end()) return it->second;
    if (auto user = accounts.users().find_by_email(*email)) return user->id;
    checker.problem(node, path + ".creator",
                    "no user '" + *email + "': list it under users, or name an existing account");
    return std::nullopt;
  }

  void courses(const YAML::Node& list, std::int64_t now_ms) {
    if (!list.IsSequence()) {
      checker.problem(list, "courses", "expected a list of courses");
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& node = list[i];
      const auto path = "courses[" + std::to_string(i) + "]";
      if (!checker.map(node, path)) continue;
      std::string status = "published";
      if (auto n = node["status"]) {
        const auto v = checker.string(n, path + ".status");
        if (!v) continue;
        if (*v != "published" && *v != "draft") {
          checker.problem(n, path + ".status", "expected published or draft");
          continue;
        }
        status = *v;
      }
      const auto creator_id = creator(node, path);
      if (!creator_id) continue;
      nlohmann::json body;
      try {
        body = demo_yaml_to_json(node, now_ms);
      } catch (const DemoYamlError& e) {
        checker.problem(e.node(), path, e.what());
        continue;
      }
      body.erase("creator");
      body.erase("status");
      const auto slug = body.value("slug", std::string());
      if (slug.empty()) {
        // The catalog would make one up, and the next load could not tell the course is there.
        checker.problem(node, path + ".slug",
                        "every demo course needs a slug: it is how a later load knows the "
                        "course exists");
        continue;
      }
      try {
        if (catalog.courses().find_by_slug(slug)) {
          ++report.courses_present;
          continue;
        }
        auto course = catalog.create(body, *creator_id);
        if (status == "published") catalog.change_status(course.id, "published");
        ++report.courses_created;
      } catch (const sdk::http::Error& e) {
        if (e.code() == "duplicate_slug") {  // another process loads the same file
          ++report.courses_present;
          continue;
        }
        const auto& details = e.details();
        if (details.is_object() && details.contains("fields") && details["fields"].is_array()) {
          for (const auto& f : details["fields"]) {
            const auto field = f.value("field", std::string());
            checker.problem(node_at(node, field), path + "." + field,
                            f.value("message", std::string(e.what())));
          }
        } else {
          checker.problem(node, path, e.what());
        }
      }
    }
  }
};

}  // namespace

nlohmann::json demo_yaml_to_json(const YAML::Node& node, std::int64_t now_ms) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: {
      const auto& tag = node.Tag();
      const auto& text = node.Scalar();
      if (tag == "!from_now") return now_ms + offset_ms(node);
      if (tag == "?") return plain_scalar(text);
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;
      throw DemoYamlError(node, "unknown tag '" + tag + "' (the demo data knows !from_now)");
    }
    case YAML::NodeType::Sequence: {
      auto out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(demo_yaml_to_json(item, now_ms));
      return out;
    }
    case YAML::NodeType::Map: {
      auto out = nlohmann::json::object();
      for (const auto& entry : node)
        out[entry.first.as<std::string>()] = demo_yaml_to_json(entry.second, now_ms);
      return out;
    }
  }
  return nullptr;
}

DemoDataReport load_demo_data(const std::string& file, AccountService& accounts,
                              CatalogService& catalog) {
  Loader loader{accounts, catalog, YamlChecker(file), {}, {}};
  YAML::Node root;
  try {
    root = load_yaml(read_text_file(file), file);
  } catch (const ConfigError& e) {
    loader.report.problems = e.problems();
    return loader.report;
  }
  if (loader.checker.map(root, "", {"users", "courses"})) {
    if (auto n = root["users"]) loader.users(n);
    if (auto n = root["courses"]) loader.courses(n, catalog.now_ms());
  }
  loader.report.problems = loader.checker.problems();
  return loader.report;
}

}  // namespace lore
