// The kernel's configuration (config/lore.yaml), validated in full before anything starts.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lore {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 2;       // reactor threads
  int workers = 16;      // threads for handlers that may block
  int max_queue = 1024;  // requests waiting for a worker before 503
  std::int64_t max_body_bytes = 1 << 20;
  std::int64_t header_timeout_ms = 10000;
  std::int64_t body_timeout_ms = 30000;
  std::int64_t keepalive_timeout_ms = 60000;
  std::int64_t shutdown_grace_ms = 10000;
  // Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client.
  std::vector<std::string> trusted_proxies;

  bool operator==(const ServerConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";
  bool access = true;

  bool operator==(const LogConfig&) const = default;
};

struct DatabaseConfig {
  std::string url = "sqlite://var/lore.db";
  int pool_size = 8;                     // connections; sqlite://:memory: always uses one
  std::int64_t lease_timeout_ms = 2000;  // wait for a free connection before answering 503
  std::int64_t statement_timeout_ms = 10000;
  std::int64_t connect_timeout_ms = 2000;

  bool operator==(const DatabaseConfig&) const = default;
};

struct AuthConfig {
  std::int64_t session_lifetime_hours = 24 * 30;  // sliding: measured from the last use
  std::int64_t session_slide_minutes = 10;        // how often a used session's expiry moves
  // How long a process trusts a session it validated without asking the database or the
  // shared cache again: the longest a revocation made elsewhere can go unseen here.
  std::int64_t session_cache_ms = 5000;

  bool operator==(const AuthConfig&) const = default;
};

struct CatalogConfig {
  // How long an answer of the public course list and course pages is reused for callers
  // without credentials. Writes in this process forget it at once; other processes' writes
  // show after at most this long. 0: never reused.
  std::int64_t public_cache_ms = 1000;

  bool operator==(const CatalogConfig&) const = default;
};

struct CommerceConfig {
  // The platform's share of each payment, in basis points (1000 = 10%); the creator gets the
  // rest. Written into each payment's ledger entries, so a change applies to later payments.
  std::int64_t platform_fee_basis_points = 1000;
  // An unpaid order stops being payable after this long; the buyer places another.
  std::int64_t order_lifetime_ms = 30 * 60 * 1000;
  // A request that claimed an order's checkout (or an idempotency key) and has not finished
  // after this long is taken to be gone, and another may take over.
  std::int64_t claim_timeout_ms = 60 * 1000;
  // How long after the purchase a buyer may ask for a refund themselves; 0: admins only.
  std::int64_t refund_window_days = 7;
  // Reconciliation: how often it runs, and how long a checkout (or a refund) goes without news
  // before its provider is asked.
  std::int64_t reconcile_interval_ms = 60 * 1000;
  std::int64_t reconcile_after_ms = 2 * 60 * 1000;

  bool operator==(const CommerceConfig&) const = default;
};

struct PluginPolicy {
  int failure_threshold = 5;  // failures within the window that disable a plugin
  std::int64_t failure_window_ms = 60000;
  std::int64_t drain_timeout_ms = 10000;  // wait for in-flight requests before stopping
};

struct PluginConfig {
  std::string name;
  bool enabled = true;
  YAML::Node settings;  // validated later against the plugin's manifest
};

struct KernelConfig {
  std::string source;  // file name, for messages
  ServerConfig server;
  DatabaseConfig database;
  std::string cache_url = "memory://";
  // Prepended to every Redis key, so sites (or test databases) sharing one Redis do not meet.
  std::string cache_key_prefix = "lore:";
  AuthConfig auth;
  CatalogConfig catalog;
  CommerceConfig commerce;
  LogConfig log;
  // A YAML file of demo users and courses created at start where missing (by email and slug);
  // empty: none. Resolved against the configuration file's directory when read.
  std::string demo_data;
  std::vector<std::string> plugin_paths{"build/plugins"};
  PluginPolicy plugin_policy;
  unsigned hook_timing_sample_every = 16;
  std::map<std::string, PluginConfig> plugins;
  std::vector<std::string> overridden_paths;  // from --set, for messages
};

// Loads and validates. `overrides` are "dotted.path=value" (value parsed as YAML).
// Throws ConfigError listing every problem with file:line:column.
KernelConfig load_kernel_config(const std::string& file, const std::vector<std::string>& overrides);
KernelConfig parse_kernel_config(const std::string& yaml_text, const std::string& source_name,
                                 const std::vector<std::string>& overrides);

}  // namespace lore
