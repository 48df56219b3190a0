// The kernel as a library: construct it from a configuration, start it, send it requests (over
// HTTP or in process), reload it, stop it. No global mutable state: tests build as many as they
// like, with a free port or no HTTP at all and a clock they control.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/kernel_config.h"
#include "core/service_registry.h"
#include "hooks/hook_bus.h"
#include "http/pipeline.h"
#include "http/route_table.h"
#include "lore/sdk/cache.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/http.h"
#include "plugin/plugin_switches.h"
#include "storage/migration.h"

namespace lore {

class PluginManager;
class AccountService;
class CatalogService;
class CommerceService;
class JobScheduler;
class Outbox;
class JobStore;
class ConnectionPool;
class PooledDatabase;
class MigrationRunner;
class HttpServer;
class ResponseCache;
class WorkerPool;

struct KernelOptions {
  bool serve_http = true;
  // Creates what the configuration's demo_data lists at start(); the CLI's other commands
  // (which start plugins to inspect them) leave the site as it is.
  bool load_demo_data = true;
  // Runs the job scheduler's thread (expiring and reconciling orders, pruning keys): `lore
  // serve` does; the CLI's other commands and tests (which call jobs().run_due()) do not.
  bool run_jobs = false;
  const sdk::Clock* clock = nullptr;  // defaults to the system clock
  // The kernel's schema history; defaults to kernel/migrations/*.sql compiled into the binary.
  std::optional<std::vector<Migration>> kernel_migrations;
};

class Kernel {
 public:
  explicit Kernel(KernelConfig config, KernelOptions options = {});
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Starts the enabled plugins, then (if enabled) the HTTP server. Throws when it cannot bind.
  void start();
  // Applies a new configuration to the plugins. Server settings are fixed for the process's
  // life; a change to them is reported and ignored.
  void reload(KernelConfig config);
  // Stops accepting, drains in-flight requests (bounded), stops plugins in reverse order.
  void stop();

  std::uint16_t port() const;
  sdk::http::Response handle(sdk::http::Request request) const;

  HookBus& hooks() noexcept { return *hooks_; }
  RouteTable& routes() noexcept { return *routes_; }
  ServiceRegistry& services() noexcept { return *services_; }
  PluginManager& plugins() noexcept { return *plugins_; }
  const sdk::Clock& clock() const noexcept { return *clock_; }
  sdk::Cache& cache() noexcept { return *cache_; }
  // The kernel's own view of the database (tables prefixed lore_).
  sdk::db::Database& database() noexcept;
  ConnectionPool& pool() noexcept { return *pool_; }
  MigrationRunner& migrations() noexcept { return *migrations_; }
  AccountService& accounts() noexcept { return *accounts_; }
  CatalogService& catalog() noexcept { return *catalog_; }
  CommerceService& commerce() noexcept { return *commerce_; }
  JobScheduler& jobs() noexcept { return *scheduler_; }
  JobStore& job_store() noexcept { return *job_store_; }
  Outbox& outbox() noexcept { return *outbox_; }
  // Turns a plugin on or off at run time and remembers it in the database (lore_plugin_switches),
  // above what the configuration says, until the switch is changed again. Throws
  // sdk::http::Error(404) for a plugin nobody has heard of.
  void switch_plugin(const std::string& name, bool enabled, std::int64_t by_user);
  // Forgets a plugin's run-time switch, so the configuration decides again: now when the kernel
  // runs, at its next start otherwise. False when it had none.
  bool clear_plugin_switch(const std::string& name);
  // The stored switches, and the configuration with them laid over it. Usable before start()
  // (the command line reads them); none before the kernel's schema has the table.
  std::vector<PluginSwitches::Switch> plugin_switches();
  KernelConfig config_with_switches();
  const std::vector<Migration>& kernel_migrations() const noexcept { return kernel_migrations_; }
  const KernelConfig& config() const noexcept { return config_; }

  std::string metrics_text() const;
  nlohmann::json openapi() const;

  static constexpr const char* kVersion = "0.1.0";

 private:
  void register_kernel_routes();
  void register_account_routes();
  void register_admin_routes();
  void register_catalog_routes();
  void register_commerce_routes();
  // The kernel's own recurring jobs and their handlers.
  void schedule_kernel_jobs();
  void declare_kernel_hooks();
  // Creates what config_.demo_data lists and the site lacks; problems are logged, not fatal.
  void load_demo();
  // Every kernel route goes through here: owned by "kernel", exceptions answered like a
  // plugin's (http::Error as its status, database outages as 503), internal errors logged.
  void add_route(sdk::RouteSpec spec,
                 std::function<sdk::http::Response(const sdk::http::Request&)> handler,
                 std::shared_ptr<ResponseCache> response_cache = nullptr);
  // The common shape of a kernel API route (a worker route with one tag).
  void add_api_route(sdk::http::Method method, std::string path, std::string summary,
                     sdk::http::Access access, std::string scope, std::string tag,
                     std::function<sdk::http::Response(const sdk::http::Request&)> handler,
                     std::shared_ptr<ResponseCache> response_cache = nullptr);
  bool switches_table_exists();
  // The configuration with the run-time plugin switches laid over it.
  KernelConfig effective_config() const;

  KernelConfig config_;
  KernelOptions options_;
  std::unique_ptr<sdk::Clock> owned_clock_;
  const sdk::Clock* clock_;
  std::unique_ptr<sdk::Cache> cache_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<PooledDatabase> database_;
  std::unique_ptr<MigrationRunner> migrations_;
  std::vector<Migration> kernel_migrations_;
  std::unique_ptr<HookBus> hooks_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<ServiceRegistry> services_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<CatalogService> catalog_;
  std::unique_ptr<CommerceService> commerce_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<JobStore> job_store_;
  std::unique_ptr<JobScheduler> scheduler_;
  std::unique_ptr<PluginSwitches> switches_;
  std::unique_ptr<PluginManager> plugins_;
  // Serialises changes to the running plugin set (SIGHUP reloads, admin switches).
  std::mutex apply_mutex_;
  bool has_switches_ = false;  // lore_plugin_switches exists (set at start)
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<HttpServer> server_;
  std::chrono::steady_clock::time_point started_at_;
  bool running_ = false;
};

}  // namespace lore
