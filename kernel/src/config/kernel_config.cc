#include "config/kernel_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cache/redis_cache.h"
#include "config/env_interpolation.h"
#include "config/yaml_checker.h"
#include "http/trusted_proxies.h"
#include "storage/database_url.h"

namespace lore {

namespace {

// Applies "a.b.c=value" onto the tree, creating maps on the way; the value is parsed as YAML so
// that numbers, booleans and lists keep their types.
void apply_override(YAML::Node root, const std::string& assignment, std::vector<std::string>& paths,
                    std::vector<std::string>& problems) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    problems.push_back("--set " + assignment + ": expected key.path=value");
    return;
  }
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    problems.push_back("--set " + path + ": value is not valid YAML: " + e.msg);
    return;
  }
  std::vector<std::string> keys;
  std::stringstream stream(path);
  for (std::string key; std::getline(stream, key, '.');) {
    if (key.empty()) {
      problems.push_back("--set " + path + ": empty key in path");
      return;
    }
    keys.push_back(key);
  }
  // yaml-cpp nodes are handles: walk with a fresh handle per level instead of reassigning one
  // (assignment would overwrite the node it refers to).
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    YAML::Node next = chain.back()[keys[i]];
    if (!next.IsMap()) {
      if (next.IsDefined() && !next.IsNull()) {
        problems.push_back("--set " + path + ": '" + keys[i] + "' is not a map");
        return;
      }
      chain.back()[keys[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[keys[i]];
    }
    chain.push_back(next);
  }
  chain.back()[keys.back()] = value;
  paths.push_back(path);
}

void read_server(YAML::Node node, YamlChecker& c, ServerConfig& s) {
  // Said once, plainly, instead of "unknown key" for configurations written before accounts.
  if (node.IsMap() && node["admin_token"]) {
    c.problem(node["admin_token"], "server.admin_token",
              "the static admin token was removed: admin routes need a signed-in admin (create "
              "one with `lore admin create-user --email E --role admin --token`)");
    node.remove("admin_token");
  }
  if (!c.map(
          node, "server",
          {"host", "port", "threads", "workers", "max_queue", "max_body_bytes", "header_timeout_ms",
           "body_timeout_ms", "keepalive_timeout_ms", "shutdown_grace_ms", "trusted_proxies"}))
    return;
  if (auto n = node["host"]) {
    if (auto v = c.string(n, "server.host")) s.host = *v;
  }
  if (auto n = node["port"]) {
    if (auto v = c.integer(n, "server.port", 0, 65535)) s.port = static_cast<std::uint16_t>(*v);
  }
  if (auto n = node["threads"]) {
    if (auto v = c.integer(n, "server.threads", 1, 256)) s.threads = static_cast<int>(*v);
  }
  if (auto n = node["workers"]) {
    if (auto v = c.integer(n, "server.workers", 1, 1024)) s.workers = static_cast<int>(*v);
  }
  if (auto n = node["max_queue"]) {
    if (auto v = c.integer(n, "server.max_queue", 1, 1000000)) s.max_queue = static_cast<int>(*v);
  }
  if (auto n = node["max_body_bytes"]) {
    if (auto v = c.integer(n, "server.max_body_bytes", 1, std::int64_t{1} << 30))
      s.max_body_bytes = *v;
  }
  struct Timeout {
    const char* key;
    std::int64_t* target;
  };
  for (auto [key, target] : {Timeout{"header_timeout_ms", &s.header_timeout_ms},
                             Timeout{"body_timeout_ms", &s.body_timeout_ms},
                             Timeout{"keepalive_timeout_ms", &s.keepalive_timeout_ms},
                             Timeout{"shutdown_grace_ms", &s.shutdown_grace_ms}}) {
    if (auto n = node[key]) {
      if (auto v = c.integer(n, std::string("server.") + key, 0, 3600 * 1000)) *target = *v;
    }
  }
  if (auto n = node["trusted_proxies"]) {
    if (auto entries = c.string_list(n, "server.trusted_proxies")) {
      bool all_good = true;
      for (std::size_t i = 0; i < entries->size(); ++i) {
        std::string error;
        if (!TrustedProxies::parse({(*entries)[i]}, error)) {
          c.problem(n[i], "server.trusted_proxies[" + std::to_string(i) + "]", error);
          all_good = false;
        }
      }
      if (all_good) s.trusted_proxies = *entries;
    }
  }
}

void read_auth(const YAML::Node& node, YamlChecker& c, AuthConfig& a) {
  if (!c.map(node, "auth", {"session_lifetime_hours", "session_slide_minutes", "session_cache_ms"}))
    return;
  if (auto n = node["session_lifetime_hours"]) {
    if (auto v = c.integer(n, "auth.session_lifetime_hours", 1, 24 * 366))
      a.session_lifetime_hours = *v;
  }
  if (auto n = node["session_slide_minutes"]) {
    if (auto v = c.integer(n, "auth.session_slide_minutes", 1, 24 * 60))
      a.session_slide_minutes = *v;
  }
  if (auto n = node["session_cache_ms"]) {
    if (auto v = c.integer(n, "auth.session_cache_ms", 0, 60000)) a.session_cache_ms = *v;
  }
}

void read_commerce(const YAML::Node& node, YamlChecker& c, CommerceConfig& m) {
  if (!c.map(node, "commerce",
             {"platform_fee_percent", "order_lifetime_minutes", "claim_timeout_ms",
              "refund_window_days", "reconcile_interval_s", "reconcile_after_s"}))
    return;
  if (auto n = node["platform_fee_percent"]) {
    if (auto v = c.number(n, "commerce.platform_fee_percent")) {
      // Kept as whole basis points: the ledger's arithmetic is integer, and a share finer than
      // 0.01% would be rounded away on every payment.
      const double bps = *v * 100;
      const auto whole = static_cast<std::int64_t>(std::llround(bps));
      if (!(*v >= 0 && *v <= 100) || std::fabs(bps - static_cast<double>(whole)) > 1e-6)
        c.problem(n, "commerce.platform_fee_percent",
                  "expected a percentage from 0 to 100 with at most two decimals (e.g. 10 or "
                  "12.5), got " +
                      YamlChecker::describe(n));
      else
        m.platform_fee_basis_points = whole;
    }
  }
  if (auto n = node["order_lifetime_minutes"]) {
    if (auto v = c.integer(n, "commerce.order_lifetime_minutes", 1, 7 * 24 * 60))
      m.order_lifetime_ms = *v * 60 * 1000;
  }
  if (auto n = node["claim_timeout_ms"]) {
    if (auto v = c.integer(n, "commerce.claim_timeout_ms", 1000, 3600000)) m.claim_timeout_ms = *v;
  }
  if (auto n = node["refund_window_days"]) {
    if (auto v = c.integer(n, "commerce.refund_window_days", 0, 3650)) m.refund_window_days = *v;
  }
  if (auto n = node["reconcile_interval_s"]) {
    if (auto v = c.integer(n, "commerce.reconcile_interval_s", 1, 3600))
      m.reconcile_interval_ms = *v * 1000;
  }
  if (auto n = node["reconcile_after_s"]) {
    if (auto v = c.integer(n, "commerce.reconcile_after_s", 1, 86400))
      m.reconcile_after_ms = *v * 1000;
  }
}

void read_database(const YAML::Node& node, YamlChecker& c, DatabaseConfig& d) {
  if (!c.map(
          node, "database",
          {"url", "pool_size", "lease_timeout_ms", "statement_timeout_ms", "connect_timeout_ms"}))
    return;
  if (auto n = node["url"]) {
    if (auto v = c.string(n, "database.url")) {
      std::string error;
      if (parse_database_url(*v, error))
        d.url = *v;
      else
        c.problem(n, "database.url", error);
    }
  }
  if (auto n = node["pool_size"]) {
    if (auto v = c.integer(n, "database.pool_size", 1, 1024)) d.pool_size = static_cast<int>(*v);
  }
  for (auto [key, target, low] : {std::tuple{"lease_timeout_ms", &d.lease_timeout_ms, 1},
                                  std::tuple{"statement_timeout_ms", &d.statement_timeout_ms, 100},
                                  std::tuple{"connect_timeout_ms", &d.connect_timeout_ms, 100}}) {
    if (auto n = node[key]) {
      if (auto v = c.integer(n, std::string("database.") + key, low, 3600000)) *target = *v;
    }
  }
}

void read_url(const YAML::Node& node, YamlChecker& c, const char* section,
              std::initializer_list<std::string_view> schemes, std::string& target) {
  if (!c.map(node, section, {"url", "key_prefix"})) return;
  auto n = node["url"];
  if (!n) return;
  auto v = c.string(n, std::string(section) + ".url");
  if (!v) return;
  for (auto scheme : schemes) {
    if (v->rfind(scheme, 0) == 0) {
      target = *v;
      return;
    }
  }
  std::string list;
  for (auto scheme : schemes) list += (list.empty() ? "" : ", ") + std::string(scheme);
  c.problem(n, std::string(section) + ".url", "expected a URL starting with one of: " + list);
}

void read_plugins(const YAML::Node& node, YamlChecker& c,
                  std::map<std::string, PluginConfig>& out) {
  if (node.IsNull()) return;
  if (!c.map(node, "plugins")) return;
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    const std::string path = "plugins." + name;
    PluginConfig plugin{name, true, YAML::Node(YAML::NodeType::Map)};
    const YAML::Node& body = entry.second;
    if (body.IsNull()) {
      out[name] = plugin;
      continue;
    }
    if (!c.map(body, path, {"enabled", "settings"})) continue;
    if (auto n = body["enabled"]) {
      if (auto v = c.boolean(n, path + ".enabled")) plugin.enabled = *v;
    }
    if (auto n = body["settings"]) {
      if (n.IsNull()) {
      } else if (c.map(n, path + ".settings")) {
        plugin.settings = n;
      }
    }
    out[name] = plugin;
  }
}

KernelConfig read_config(YAML::Node root, const std::string& source,
                         const std::vector<std::string>& overrides) {
  KernelConfig config;
  config.source = source;
  std::vector<std::string> problems;
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (root.IsMap())
    for (const auto& o : overrides) apply_override(root, o, config.overridden_paths, problems);
  if (!problems.empty()) throw ConfigError(problems);

  YamlChecker c(source, {config.overridden_paths.begin(), config.overridden_paths.end()});
  interpolate_tree(root, process_environment(), c);
  if (!c.map(root, "",
             {"server", "database", "cache", "auth", "catalog", "commerce", "demo_data", "log",
              "plugin_paths", "plugin_policy", "hooks", "plugins"})) {
    c.throw_if_failed();
  }
  if (auto n = root["server"]) read_server(n, c, config.server);
  if (auto n = root["database"]) read_database(n, c, config.database);
  if (auto n = root["auth"]) read_auth(n, c, config.auth);
  if (auto n = root["cache"]) {
    read_url(n, c, "cache", {"memory://", "redis://"}, config.cache_url);
    std::string error;
    if (config.cache_url.rfind("redis://", 0) == 0 && !parse_redis_url(config.cache_url, error))
      c.problem(n["url"], "cache.url", error);
    if (auto p = n.IsMap() ? n["key_prefix"] : YAML::Node()) {
      if (auto v = c.string(p, "cache.key_prefix")) {
        const bool shaped =
            !v->empty() && v->size() <= 64 && std::all_of(v->begin(), v->end(), [](char ch) {
              return std::isalnum(static_cast<unsigned char>(ch)) || ch == ':' || ch == '_' ||
                     ch == '-' || ch == '.';
            });
        if (shaped)
          config.cache_key_prefix = *v;
        else
          c.problem(p, "cache.key_prefix",
                    "expected 1 to 64 letters, digits or : _ - . (e.g. \"lore:site2:\")");
      }
    }
  }
  if (auto n = root["catalog"]) {
    if (c.map(n, "catalog", {"public_cache_ms"})) {
      if (auto x = n["public_cache_ms"]) {
        if (auto v = c.integer(x, "catalog.public_cache_ms", 0, 3600000))
          config.catalog.public_cache_ms = *v;
      }
    }
  }
  if (auto n = root["commerce"]) read_commerce(n, c, config.commerce);
  if (auto n = root["demo_data"]) {
    if (!n.IsNull()) {
      if (auto v = c.string(n, "demo_data")) {
        // Next to the configuration, like an include: the file travels with it.
        std::filesystem::path file(*v);
        if (!v->empty() && file.is_relative())
          file = std::filesystem::path(source).parent_path() / file;
        if (!v->empty() && !std::filesystem::is_regular_file(file))
          c.problem(n, "demo_data",
                    "no such file: '" + file.string() +
                        "' (a relative path is taken from the configuration file's directory)");
        else if (!v->empty())
          config.demo_data = file.lexically_normal().string();
      }
    }
  }
  if (auto n = root["log"]) {
    if (c.map(n, "log", {"level", "access"})) {
      if (auto l = n["level"]) {
        if (auto v = c.string(l, "log.level")) {
          if (*v == "trace" || *v == "debug" || *v == "info" || *v == "warn" || *v == "error")
            config.log.level = *v;
          else
            c.problem(l, "log.level", "expected one of: trace, debug, info, warn, error");
        }
      }
      if (auto a = n["access"]) {
        if (auto v = c.boolean(a, "log.access")) config.log.access = *v;
      }
    }
  }
  if (auto n = root["plugin_paths"]) {
    if (auto v = c.string_list(n, "plugin_paths")) config.plugin_paths = *v;
  }
  if (auto n = root["plugin_policy"]) {
    if (c.map(n, "plugin_policy", {"failure_threshold", "failure_window_ms", "drain_timeout_ms"})) {
      auto& p = config.plugin_policy;
      if (auto x = n["failure_threshold"]) {
        if (auto v = c.integer(x, "plugin_policy.failure_threshold", 0, 1000000))
          p.failure_threshold = static_cast<int>(*v);
      }
      if (auto x = n["failure_window_ms"]) {
        if (auto v = c.integer(x, "plugin_policy.failure_window_ms", 1, 86400000))
          p.failure_window_ms = *v;
      }
      if (auto x = n["drain_timeout_ms"]) {
        if (auto v = c.integer(x, "plugin_policy.drain_timeout_ms", 0, 3600000))
          p.drain_timeout_ms = *v;
      }
    }
  }
  if (auto n = root["hooks"]) {
    if (c.map(n, "hooks", {"timing_sample_every"})) {
      if (auto x = n["timing_sample_every"]) {
        if (auto v = c.integer(x, "hooks.timing_sample_every", 1, 1000000))
          config.hook_timing_sample_every = static_cast<unsigned>(*v);
      }
    }
  }
  if (auto n = root["plugins"]) read_plugins(n, c, config.plugins);
  c.throw_if_failed();
  return config;
}

}  // namespace

KernelConfig parse_kernel_config(const std::string& yaml_text, const std::string& source_name,
                                 const std::vector<std::string>& overrides) {
  return read_config(load_yaml(yaml_text, source_name), source_name, overrides);
}

KernelConfig load_kernel_config(const std::string& file,
                                const std::vector<std::string>& overrides) {
  return parse_kernel_config(read_text_file(file), file, overrides);
}

}  // namespace lore
