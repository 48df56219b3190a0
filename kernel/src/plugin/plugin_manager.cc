#include "plugin/plugin_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "plugin/dependency_resolver.h"
#include "storage/migration.h"

namespace lore {

namespace fs = std::filesystem;

std::string_view to_string(PluginState state) noexcept {
  switch (state) {
    case PluginState::disabled: return "disabled";
    case PluginState::running: return "running";
    case PluginState::refused: return "refused";
    case PluginState::failed: return "failed";
    case PluginState::auto_disabled: return "auto-disabled";
  }
  return "disabled";
}

namespace {

struct Discovery {
  std::map<std::string, Manifest> manifests;
  std::map<std::string, std::string> broken;  // folder name -> problem
};

std::string one_line(const std::string& text) {
  std::string out = text;
  std::replace(out.begin(), out.end(), '\n', ';');
  return out;
}

Discovery discover(const std::vector<std::string>& paths) {
  Discovery found;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      spdlog::warn("plugin path {} is not a directory; skipped", path);
      continue;
    }
    std::vector<fs::path> folders;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_directory() && fs::exists(entry.path() / "plugin.yaml"))
        folders.push_back(entry.path());
    std::sort(folders.begin(), folders.end());
    for (const auto& folder : folders) {
      try {
        Manifest m = parse_manifest_file(folder / "plugin.yaml");
        if (found.manifests.count(m.name)) {
          spdlog::warn("plugin {} found again in {}; the first one ({}) is used", m.name,
                       folder.string(), found.manifests.at(m.name).file);
          continue;
        }
        std::string name = m.name;
        found.manifests.emplace(name, std::move(m));
      } catch (const ConfigError& e) {
        found.broken.emplace(folder.filename().string(), one_line(e.what()));
      }
    }
  }
  return found;
}

// Why an enabled plugin has no usable manifest, in the words `lore plugins` and check-config use.
std::string missing_manifest_reason(const Discovery& found, const std::string& name,
                                    const std::vector<std::string>& paths) {
  if (auto broken = found.broken.find(name); broken != found.broken.end())
    return "invalid plugin.yaml: " + broken->second;
  std::string list;
  for (const auto& p : paths) list += (list.empty() ? "" : ", ") + p;
  return "no plugin named '" + name + "' on plugin_paths [" + list + "]";
}

}  // namespace

PluginManager::PluginManager(KernelParts parts, LoggerFactory loggers)
    : parts_(parts), loggers_(std::move(loggers)), control_([this] { control_loop(); }) {}

PluginManager::~PluginManager() {
  {
    std::lock_guard lock(control_mutex_);
    control_stopping_ = true;
  }
  control_ready_.notify_all();
  control_.join();
  stop_all();
}

void PluginManager::set_lifecycle_listener(LifecycleListener listener) {
  std::lock_guard lock(mutex_);
  lifecycle_ = std::move(listener);
}

std::vector<std::string> PluginManager::check_settings(const KernelConfig& config) {
  auto found = discover(config.plugin_paths);
  YamlChecker checker(config.source,
                      {config.overridden_paths.begin(), config.overridden_paths.end()});
  std::vector<std::string> problems;
  for (const auto& [name, plugin] : config.plugins) {
    if (!plugin.enabled) continue;
    auto it = found.manifests.find(name);
    if (it == found.manifests.end()) {
      problems.push_back(config.source + ": plugins." + name + ": " +
                         missing_manifest_reason(found, name, config.plugin_paths));
      continue;
    }
    validate_settings(it->second, plugin.settings, checker, "plugins." + name + ".settings");
  }
  problems.insert(problems.end(), checker.problems().begin(), checker.problems().end());
  return problems;
}

std::vector<Manifest> PluginManager::startable_manifests(
    const KernelConfig& config, std::map<std::string, std::string>& skipped) {
  auto found = discover(config.plugin_paths);
  std::map<std::string, const Manifest*> wanted;
  for (const auto& [name, plugin] : config.plugins) {
    if (!plugin.enabled) continue;
    auto it = found.manifests.find(name);
    if (it == found.manifests.end())
      skipped[name] = missing_manifest_reason(found, name, config.plugin_paths);
    else
      wanted[name] = &it->second;
  }
  auto plan = plan_dependencies(wanted);
  for (auto& [name, reason] : plan.refused) skipped[name] = reason;
  std::vector<Manifest> out;
  for (const auto& name : plan.start_order) out.push_back(found.manifests.at(name));
  return out;
}

void PluginManager::apply(const KernelConfig& config) {
  std::vector<Event> events;
  {
    std::lock_guard lock(mutex_);
    policy_ = config.plugin_policy;
    failure_threshold_ = policy_.failure_threshold;
    failure_window_ms_ = policy_.failure_window_ms;
    auto found = discover(config.plugin_paths);

    // Every known plugin gets a record, so `lore plugins` lists what could be enabled too.
    for (auto& [name, manifest] : found.manifests) records_[name].name = name;
    for (const auto& [name, entry] : config.plugins) records_[name].name = name;

    std::map<std::string, const Manifest*> wanted;
    std::map<std::string, nlohmann::json> new_settings;
    std::map<std::string, std::string> early_refusals;
    for (auto& [name, record] : records_) {
      auto entry = config.plugins.find(name);
      record.enabled = entry != config.plugins.end() && entry->second.enabled;
      auto m = found.manifests.find(name);
      const bool has_manifest = m != found.manifests.end();
      if (!record.enabled) continue;
      if (!has_manifest) {
        early_refusals[name] = missing_manifest_reason(found, name, config.plugin_paths);
        continue;
      }
      if (m->second.abi != sdk::kAbiVersion) {
        early_refusals[name] = "plugin.yaml declares SDK ABI " + std::to_string(m->second.abi) +
                               ", kernel speaks ABI " + std::to_string(sdk::kAbiVersion);
        continue;
      }
      YamlChecker checker(config.source,
                          {config.overridden_paths.begin(), config.overridden_paths.end()});
      auto values = validate_settings(m->second, entry->second.settings, checker,
                                      "plugins." + name + ".settings");
      if (!checker.ok()) {
        std::string joined;
        for (const auto& p : checker.problems()) joined += (joined.empty() ? "" : "; ") + p;
        early_refusals[name] = "invalid settings: " + joined;
        continue;
      }
      wanted[name] = &m->second;
      new_settings[name] = std::move(values);
    }
    DependencyPlan plan = plan_dependencies(wanted);
    for (auto& [name, reason] : plan.refused) early_refusals[name] = reason;

    // What must stop: not planned any more, or changed, or depending on something that stops.
    std::set<std::string> stopping;
    std::set<std::string> planned(plan.start_order.begin(), plan.start_order.end());
    for (const auto& name : start_order_) {
      const Record& r = records_.at(name);
      auto m = found.manifests.find(name);
      bool changed = !planned.count(name) || m == found.manifests.end() ||
                     compare(m->second.version, r.manifest->version) != 0 ||
                     m->second.file != r.manifest->file || new_settings[name] != r.settings;
      if (changed) stopping.insert(name);
    }
    stopping = with_running_dependents_locked(std::move(stopping));
    const std::vector<std::string> running_now = start_order_;
    for (auto it = running_now.rbegin(); it != running_now.rend(); ++it) {
      if (!stopping.count(*it)) continue;
      Record& r = records_.at(*it);
      stop_locked(r, r.enabled ? PluginState::refused : PluginState::disabled,
                  r.enabled ? "restarting" : "", events);
    }

    for (auto& [name, record] : records_) {
      if (record.state == PluginState::running) continue;
      auto m = found.manifests.find(name);
      record.manifest =
          m != found.manifests.end() ? std::optional<Manifest>(m->second) : std::nullopt;
      if (!record.enabled) {
        record.state = PluginState::disabled;
        record.reason.clear();
      } else if (auto refusal = early_refusals.find(name); refusal != early_refusals.end()) {
        record.state = PluginState::refused;
        record.reason = refusal->second;
        spdlog::error("plugin {} refused: {}", name, record.reason);
      }
    }

    for (const auto& name : plan.start_order) {
      Record& record = records_.at(name);
      if (record.state == PluginState::running) continue;
      std::string blocked;
      for (const auto& req : record.manifest->requires_plugins)
        if (records_.at(req.name).state != PluginState::running) blocked = req.name;
      if (!blocked.empty()) {
        record.state = PluginState::refused;
        record.reason = "depends on " + blocked + ", which is not running (" +
                        std::string(to_string(records_.at(blocked).state)) + ")";
        spdlog::error("plugin {} refused: {}", name, record.reason);
        continue;
      }
      record.settings = new_settings[name];
      start_locked(record, events);
    }
    // Records of plugins that vanished from disk and config are dropped.
    for (auto it = records_.begin(); it != records_.end();) {
      if (!it->second.enabled && !it->second.manifest && it->second.state != PluginState::running)
        it = records_.erase(it);
      else
        ++it;
    }
  }
  publish(events);
}

void PluginManager::start_locked(Record& record, std::vector<Event>& events) {
  const Manifest& m = *record.manifest;
  const std::string version = m.version.to_string();
  auto loaded = load_plugin_library(m.library_path(), m.name, version);
  if (auto* reason = std::get_if<std::string>(&loaded)) {
    record.state = PluginState::refused;
    record.reason = *reason;
    spdlog::error("plugin {} refused: {}", record.name, record.reason);
    return;
  }
  auto library = std::get<std::shared_ptr<LoadedLibrary>>(std::move(loaded));
  auto instance = std::make_shared<PluginInstance>();
  instance->library = library;
  instance->context = std::make_unique<PluginContext>(
      parts_, m.name, version, sdk::Settings(record.settings), loggers_(m.name));
  instance->context->set_anchor(instance);
  sdk::Plugin* plugin = library->descriptor->create();
  if (plugin == nullptr) {
    record.state = PluginState::failed;
    record.reason = "the plugin's create() returned null";
    spdlog::error("plugin {} failed: {}", record.name, record.reason);
    return;
  }
  instance->plugin = {plugin, library->descriptor->destroy};

  auto undo = [&] {
    parts_.routes.remove_owner(record.name);
    parts_.hooks.unsubscribe_owner(record.name);
    parts_.services.withdraw_owner(record.name);
  };
  // The plugin's schema first: install() and start() may rely on its tables.
  try {
    auto migrations = load_migrations(m.directory / "migrations", m.name, parts_.pool.dialect());
    if (!migrations.empty()) parts_.migrations.apply(m.name, migrations);
  } catch (const std::exception& e) {
    record.state = PluginState::failed;
    record.reason = std::string("migration failed: ") + e.what();
    spdlog::error("plugin {} failed: {}", record.name, record.reason);
    return;
  }
  sdk::Status status = plugin->install(*instance->context);
  if (!status) {
    undo();
    record.state = PluginState::failed;
    record.reason = "install failed: " + status.message();
    spdlog::error("plugin {} failed: {}", record.name, record.reason);
    return;
  }
  status = plugin->start(*instance->context);
  if (!status) {
    undo();
    plugin->stop(*instance->context);  // let it release what it acquired before failing
    record.state = PluginState::failed;
    record.reason = "start failed: " + status.message();
    spdlog::error("plugin {} failed: {}", record.name, record.reason);
    return;
  }
  record.instance = std::move(instance);
  record.state = PluginState::running;
  record.reason.clear();
  start_order_.push_back(record.name);
  {
    std::lock_guard lock(failures_mutex_);
    recent_failures_.erase(record.name);
  }
  {
    // A disable queued against the previous instance must not stop this fresh one.
    std::lock_guard lock(control_mutex_);
    std::erase_if(to_disable_, [&](const auto& job) { return job.first == record.name; });
  }
  spdlog::info("plugin {} {} started", record.name, version);
  events.push_back({record.name, version, true});
}

void PluginManager::stop_locked(Record& record, PluginState next, std::string reason,
                                std::vector<Event>& events) {
  if (record.state != PluginState::running || !record.instance) {
    record.state = next;
    record.reason = std::move(reason);
    return;
  }
  const std::string& name = record.name;
  // New requests now get 404 and no listener of it is called by new dispatches.
  parts_.routes.remove_owner(name);
  parts_.hooks.unsubscribe_owner(name);
  parts_.services.withdraw_owner(name);

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(policy_.drain_timeout_ms);
  while (parts_.routes.in_flight(name) > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (auto left = parts_.routes.in_flight(name); left > 0)
    spdlog::warn("plugin {}: {} request(s) still running after {} ms; they keep it loaded", name,
                 left, policy_.drain_timeout_ms);

  sdk::Status status = record.instance->plugin->stop(*record.instance->context);
  if (!status) spdlog::warn("plugin {} stop reported: {}", name, status.message());
  const std::string version = record.manifest ? record.manifest->version.to_string() : "";
  record.instance.reset();  // the library unloads once the last anchor is gone
  record.state = next;
  record.reason = std::move(reason);
  start_order_.erase(std::remove(start_order_.begin(), start_order_.end(), name),
                     start_order_.end());
  spdlog::info("plugin {} stopped", name);
  events.push_back({name, version, false});
}

std::set<std::string> PluginManager::with_running_dependents_locked(
    std::set<std::string> names) const {
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& running : start_order_) {
      if (names.count(running)) continue;
      for (const auto& req : records_.at(running).manifest->requires_plugins) {
        if (names.count(req.name)) {
          names.insert(running);
          grew = true;
          break;
        }
      }
    }
  }
  return names;
}

void PluginManager::stop_with_dependents_locked(const std::string& name, PluginState next,
                                                const std::string& reason,
                                                std::vector<Event>& events) {
  // Everything that transitively requires `name` stops first, dependents before dependencies.
  const std::set<std::string> affected = with_running_dependents_locked({name});
  const std::vector<std::string> running_now = start_order_;
  for (auto it = running_now.rbegin(); it != running_now.rend(); ++it) {
    if (!affected.count(*it)) continue;
    Record& r = records_.at(*it);
    if (*it == name)
      stop_locked(r, next, reason, events);
    else
      stop_locked(r, PluginState::refused, "depends on " + name + ", which was stopped", events);
  }
}

void PluginManager::stop_all() {
  std::vector<Event> events;
  {
    std::lock_guard lock(mutex_);
    while (!start_order_.empty()) {
      Record& r = records_.at(start_order_.back());
      stop_locked(r, PluginState::disabled, "", events);
    }
  }
  publish(events);
}

void PluginManager::publish(const std::vector<Event>& events) {
  LifecycleListener listener;
  {
    std::lock_guard lock(mutex_);
    listener = lifecycle_;
  }
  if (!listener) return;
  for (const auto& e : events) listener(e.name, e.version, e.started);
}

void PluginManager::report_failure(const std::string& plugin, const std::string& what) {
  bool disable = false;
  // Read without the manager's lock: a reload may hold it for a while, and the reporter is a
  // request or listener thread that must not stall.
  const auto threshold = static_cast<std::uint64_t>(failure_threshold_.load());
  const auto window_ms = failure_window_ms_.load();
  {
    std::lock_guard lock(failures_mutex_);
    ++failure_totals_[plugin];
    if (threshold == 0) return;
    auto& times = recent_failures_[plugin];
    const auto now = parts_.clock.monotonic();
    times.push_back(now);
    while (!times.empty() && now - times.front() > std::chrono::milliseconds(window_ms))
      times.pop_front();
    if (times.size() >= threshold) {
      disable = true;
      times.clear();
    }
  }
  if (!disable) return;
  {
    std::lock_guard lock(control_mutex_);
    to_disable_.emplace_back(plugin, std::to_string(threshold) + " failures within " +
                                         std::to_string(window_ms) + " ms; last: " + what);
  }
  control_ready_.notify_one();
}

void PluginManager::control_loop() {
  for (;;) {
    std::pair<std::string, std::string> job;
    {
      std::unique_lock lock(control_mutex_);
      control_ready_.wait(lock, [this] { return control_stopping_ || !to_disable_.empty(); });
      if (control_stopping_) return;
      job = std::move(to_disable_.front());
      to_disable_.pop_front();
    }
    std::vector<Event> events;
    {
      std::lock_guard lock(mutex_);
      auto it = records_.find(job.first);
      if (it == records_.end() || it->second.state != PluginState::running) continue;
      spdlog::error("plugin {} disabled automatically: {}", job.first, job.second);
      stop_with_dependents_locked(job.first, PluginState::auto_disabled,
                                  "disabled automatically after " + job.second, events);
    }
    publish(events);
  }
}

std::vector<PluginStatus> PluginManager::status() const {
  std::map<std::string, std::uint64_t> totals;
  {
    std::lock_guard lock(failures_mutex_);
    totals = failure_totals_;
  }
  std::map<std::string, std::vector<std::string>> routes_by_owner;
  for (const auto& route : parts_.routes.routes())
    routes_by_owner[route->owner].push_back(std::string(sdk::http::to_string(route->spec.method)) +
                                            " " + route->spec.path);
  std::map<std::string, std::size_t> hooks_by_owner;
  for (const auto& hook : parts_.hooks.describe())
    for (const auto& l : hook.listeners) ++hooks_by_owner[l.owner];

  std::lock_guard lock(mutex_);
  std::vector<PluginStatus> out;
  for (const auto& [name, r] : records_) {
    PluginStatus s;
    s.name = name;
    s.enabled = r.enabled;
    s.state = r.state;
    s.reason = r.reason;
    s.failures = totals.count(name) ? totals.at(name) : 0;
    s.routes = routes_by_owner[name];
    s.hook_subscriptions = hooks_by_owner[name];
    if (r.manifest) {
      s.version = r.manifest->version.to_string();
      s.description = r.manifest->description;
      s.manifest_file = r.manifest->file;
      for (const auto& req : r.manifest->requires_plugins)
        s.requires_plugins.push_back(req.name + " " + req.range.text());
      s.provides = r.manifest->provides;
      s.settings = r.settings.is_null() ? nlohmann::json::object()
                                        : redact_settings(*r.manifest, r.settings);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> PluginManager::running() const {
  std::lock_guard lock(mutex_);
  return start_order_;
}

nlohmann::json plugin_json(const PluginStatus& p) {
  return {{"name", p.name},
          {"version", p.version},
          {"description", p.description},
          {"enabled", p.enabled},
          {"state", std::string(to_string(p.state))},
          {"reason", p.reason},
          {"requires", p.requires_plugins},
          {"provides", p.provides},
          {"routes", p.routes},
          {"hook_subscriptions", p.hook_subscriptions},
          {"failures", p.failures},
          {"settings", p.settings}};
}

std::optional<PluginState> PluginManager::state(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(name);
  if (it == records_.end()) return std::nullopt;
  return it->second.state;
}

}  // namespace lore
