// Discovers plugins, plans them from their manifests, loads, installs, starts and stops them,
// at boot and at run time (SIGHUP), and disables a plugin that keeps failing.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/kernel_config.h"
#include "plugin/manifest.h"
#include "plugin/plugin_context.h"
#include "plugin/plugin_instance.h"

namespace lore {

enum class PluginState {
  disabled,       // present on the plugin path, not enabled in the configuration
  running,        // started; its hooks, routes and services are live
  refused,        // not started: manifest, settings, dependency, ABI or library problem
  failed,         // install or start returned an error
  auto_disabled,  // stopped after repeated failures; retried on the next reload
};

std::string_view to_string(PluginState state) noexcept;

struct PluginStatus {
  std::string name;
  std::string version;
  std::string description;
  bool enabled = false;
  PluginState state = PluginState::disabled;
  std::string reason;
  std::vector<std::string> requires_plugins;  // "name range"
  std::vector<std::string> provides;
  std::vector<std::string> routes;  // "GET /path"
  std::size_t hook_subscriptions = 0;
  std::uint64_t failures = 0;
  nlohmann::json settings;  // secrets redacted
  std::string manifest_file;
};

// How the API shows a plugin's status (GET /api/v1/plugins, the admin switches).
nlohmann::json plugin_json(const PluginStatus& status);

class PluginManager {
 public:
  using LoggerFactory = std::function<std::shared_ptr<spdlog::logger>(const std::string&)>;
  // Called after each start/stop, outside the manager's lock.
  using LifecycleListener =
      std::function<void(const std::string& name, const std::string& version, bool started)>;

  PluginManager(KernelParts parts, LoggerFactory loggers);
  ~PluginManager();
  PluginManager(const PluginManager&) = delete;
  PluginManager& operator=(const PluginManager&) = delete;

  void set_lifecycle_listener(LifecycleListener listener);

  // Brings the running set in line with `config`: starts what is newly enabled, stops what was
  // disabled, restarts what changed (settings, version, a restarted dependency).
  void apply(const KernelConfig& config);
  // Stops every plugin, dependents first.
  void stop_all();

  // Thread-safe; counts toward the automatic disabling of `plugin`.
  void report_failure(const std::string& plugin, const std::string& what);

  std::vector<PluginStatus> status() const;
  std::vector<std::string> running() const;  // in start order
  std::optional<PluginState> state(const std::string& name) const;

  // Problems in plugin settings that `apply` would refuse, for `lore check-config`.
  static std::vector<std::string> check_settings(const KernelConfig& config);
  // Manifests of the enabled plugins that would start, dependencies first, for `lore migrate`;
  // the others land in `skipped` with their reason.
  static std::vector<Manifest> startable_manifests(const KernelConfig& config,
                                                   std::map<std::string, std::string>& skipped);

 private:
  struct Record {
    std::string name;
    bool enabled = false;
    PluginState state = PluginState::disabled;
    std::string reason;
    std::optional<Manifest> manifest;
    nlohmann::json settings;
    std::shared_ptr<PluginInstance> instance;
  };
  struct Event {
    std::string name;
    std::string version;
    bool started;
  };

  void start_locked(Record& record, std::vector<Event>& events);
  void stop_locked(Record& record, PluginState next, std::string reason,
                   std::vector<Event>& events);
  // Stops `name` and, first, every running plugin that requires it.
  void stop_with_dependents_locked(const std::string& name, PluginState next,
                                   const std::string& reason, std::vector<Event>& events);
  // `names` plus every running plugin that requires one of them, transitively.
  std::set<std::string> with_running_dependents_locked(std::set<std::string> names) const;
  void publish(const std::vector<Event>& events);
  void control_loop();

  KernelParts parts_;
  LoggerFactory loggers_;
  LifecycleListener lifecycle_;

  mutable std::mutex mutex_;  // records, start order, policy
  PluginPolicy policy_;
  std::map<std::string, Record> records_;
  std::vector<std::string> start_order_;

  std::atomic<int> failure_threshold_{5};
  std::atomic<std::int64_t> failure_window_ms_{60000};
  mutable std::mutex failures_mutex_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> recent_failures_;
  std::map<std::string, std::uint64_t> failure_totals_;

  std::mutex control_mutex_;
  std::condition_variable control_ready_;
  std::deque<std::pair<std::string, std::string>> to_disable_;  // plugin, reason
  bool control_stopping_ = false;
  std::thread control_;
};

}  // namespace lore
