#include "core/kernel.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "accounts/account_service.h"
#include "cache/memory_cache.h"
#include "cache/redis_cache.h"
#include "catalog/catalog_service.h"
#include "catalog/demo_data.h"
#include "commerce/commerce_service.h"
#include "core/clocks.h"
#include "core/logging.h"
#include "events/outbox.h"
#include "http/http_server.h"
#include "http/openapi.h"
#include "http/response_cache.h"
#include "http/worker_pool.h"
#include "jobs/job_scheduler.h"
#include "jobs/job_store.h"
#include "lore/sdk/hooks.h"
#include "metrics/prometheus.h"
#include "plugin/plugin_manager.h"
#include "plugin/plugin_switches.h"
#include "storage/connection_pool.h"
#include "storage/kernel_migrations.h"
#include "storage/migration_runner.h"
#include "storage/pooled_database.h"

namespace lore {

namespace sh = sdk::http;

namespace {

// Consumers of the outbox read it continuously; a month covers any outage worth recovering from.
constexpr std::int64_t kOutboxRetentionMs = 30LL * 24 * 60 * 60 * 1000;

// memory:// (the embedded default) or redis://host[:port][/db]; the URL was validated with
// the configuration.
std::unique_ptr<sdk::Cache> make_cache(const std::string& url, const std::string& key_prefix,
                                       const sdk::Clock& clock) {
  if (url.rfind("redis://", 0) == 0) {
    std::string error;
    auto address = parse_redis_url(url, error);
    if (!address) throw std::invalid_argument("cache.url: " + error);
    spdlog::info("cache: redis {}:{} db {}", address->host, address->port, address->database);
    RedisCache::Options options;
    options.key_prefix = key_prefix;
    return std::make_unique<RedisCache>(*address, clock, options);
  }
  return std::make_unique<MemoryCache>(clock, MemoryCache::Options{});
}

std::unique_ptr<ConnectionPool> make_pool(const DatabaseConfig& config) {
  std::string error;
  auto address = parse_database_url(config.url, error);
  if (!address) throw std::invalid_argument("database.url: " + error);
  DatabaseOptions options;
  options.pool_size = static_cast<std::size_t>(config.pool_size);
  options.lease_timeout = std::chrono::milliseconds(config.lease_timeout_ms);
  options.statement_timeout = std::chrono::milliseconds(config.statement_timeout_ms);
  options.connect_timeout = std::chrono::milliseconds(config.connect_timeout_ms);
  return std::make_unique<ConnectionPool>(*address, options, named_logger("database"));
}

}  // namespace

Kernel::Kernel(KernelConfig config, KernelOptions options)
    : config_(std::move(config)), options_(options) {
  if (options_.clock == nullptr) owned_clock_ = std::make_unique<SystemClock>();
  clock_ = options_.clock ? options_.clock : owned_clock_.get();
  cache_ = make_cache(config_.cache_url, config_.cache_key_prefix, *clock_);
  pool_ = make_pool(config_.database);
  database_ = std::make_unique<PooledDatabase>(*pool_, "lore_", named_logger("database"));
  migrations_ = std::make_unique<MigrationRunner>(*database_, *clock_, named_logger("migrate"));
  kernel_migrations_ = options_.kernel_migrations ? std::move(*options_.kernel_migrations)
                                                  : lore::kernel_migrations(pool_->dialect());
  hooks_ = std::make_unique<HookBus>(HookBus::Options{config_.hook_timing_sample_every, 32});
  routes_ = std::make_unique<RouteTable>();
  services_ = std::make_unique<ServiceRegistry>();
  accounts_ = std::make_unique<AccountService>(*database_, *clock_, *cache_,
                                               config_.cache_url.rfind("redis://", 0) == 0, *hooks_,
                                               *services_, config_.auth, named_logger("auth"));
  outbox_ = std::make_unique<Outbox>(*database_, *clock_, *hooks_);
  catalog_ = std::make_unique<CatalogService>(*database_, *clock_, *cache_, *services_, *hooks_,
                                              *outbox_, config_.catalog.public_cache_ms);
  job_store_ = std::make_unique<JobStore>(*database_, *clock_);
  scheduler_ = std::make_unique<JobScheduler>(*job_store_, JobScheduler::Options{});
  commerce_ =
      std::make_unique<CommerceService>(*database_, *clock_, *services_, *catalog_, *outbox_,
                                        config_.commerce, [this](const std::string& name) {
                                          if (!plugins_) return false;
                                          for (const auto& plugin : plugins_->status())
                                            for (const auto& provided : plugin.provides)
                                              if (provided == "payment." + name) return true;
                                          return false;
                                        });
  switches_ = std::make_unique<PluginSwitches>(*database_, *clock_);
  plugins_ =
      std::make_unique<PluginManager>(KernelParts{*hooks_, *routes_, *services_, *clock_, *cache_,
                                                  *pool_, *migrations_, *accounts_},
                                      [](const std::string& name) { return named_logger(name); });
  PluginManager* manager = plugins_.get();
  hooks_->set_failure_sink([manager](const ListenerFailure& f) {
    spdlog::error("[{}] listener '{}' of hook {} failed: {}", f.owner, f.label, f.hook, f.error);
    if (!f.owner.empty() && f.owner != "kernel")
      manager->report_failure(f.owner, "hook " + f.hook + ": " + f.error);
  });
  HookBus* bus = hooks_.get();
  plugins_->set_lifecycle_listener(
      [bus](const std::string& name, const std::string& version, bool started) {
        bus->fire(started ? sdk::hooks::plugin_started : sdk::hooks::plugin_stopped,
                  sdk::PluginLifecycleEvent{name, version});
      });
  std::string proxies_error;  // the configuration checked the entries already
  auto proxies = TrustedProxies::parse(config_.server.trusted_proxies, proxies_error);
  if (!proxies) throw std::invalid_argument("server.trusted_proxies: " + proxies_error);
  pipeline_ = std::make_unique<Pipeline>(
      *routes_, &accounts_->authenticator(),
      PipelineOptions{static_cast<std::size_t>(config_.server.max_body_bytes), config_.log.access,
                      std::move(*proxies)},
      [manager](const std::string& plugin, const std::string& what) {
        manager->report_failure(plugin, what);
      },
      named_logger("http"));
  declare_kernel_hooks();
  register_kernel_routes();
  register_account_routes();
  register_admin_routes();
  register_catalog_routes();
  register_commerce_routes();
}

Kernel::~Kernel() {
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("stopping the kernel failed: {}", e.what());
  }
}

void Kernel::declare_kernel_hooks() {
  hooks_->declare(sdk::hooks::kernel_started);
  hooks_->declare(sdk::hooks::plugin_started);
  hooks_->declare(sdk::hooks::plugin_stopped);
  hooks_->declare(sdk::hooks::readiness);
  hooks_->declare(sdk::hooks::openapi_document);
  hooks_->declare(sdk::hooks::user_registered);
  hooks_->declare(sdk::hooks::user_login);
  hooks_->declare(sdk::hooks::user_login_failed);
  hooks_->declare(sdk::hooks::user_changed);
  hooks_->declare(sdk::hooks::course_published);
  hooks_->declare(sdk::hooks::lesson_completed);
  hooks_->declare(sdk::hooks::course_completed);
  hooks_->declare(sdk::hooks::progress_updated);
  hooks_->declare(sdk::hooks::order_paid);
  hooks_->declare(sdk::hooks::order_refunded);
  hooks_->declare(sdk::hooks::entitlement_granted);
  hooks_->declare(sdk::hooks::registration_validate);
}

KernelConfig Kernel::effective_config() const {
  if (!has_switches_) return config_;
  return PluginSwitches::overlay(config_, switches_->load());
}

void Kernel::switch_plugin(const std::string& name, bool enabled, std::int64_t by_user) {
  std::lock_guard lock(apply_mutex_);
  if (!plugins_->state(name) && !config_.plugins.count(name))
    throw sh::Error(404, "not_found", "no plugin named '" + name + "'");
  if (!has_switches_)
    throw sh::Error(501, "not_supported", "this kernel's schema has no plugin switches");
  switches_->set(name, enabled, by_user);
  spdlog::info("plugin {} {} by user {}", name, enabled ? "enabled" : "disabled", by_user);
  plugins_->apply(effective_config());
}

bool Kernel::clear_plugin_switch(const std::string& name) {
  std::lock_guard lock(apply_mutex_);
  if (!switches_table_exists() || !switches_->clear(name)) return false;
  spdlog::info("plugin {}: run-time switch cleared; the configuration decides", name);
  if (running_) plugins_->apply(effective_config());  // offline (the CLI): at the next start
  return true;
}

bool Kernel::switches_table_exists() {
  const auto owned = migrations_->owned_tables("kernel");
  return std::find(owned.begin(), owned.end(), "lore_plugin_switches") != owned.end();
}

std::vector<PluginSwitches::Switch> Kernel::plugin_switches() {
  if (!switches_table_exists()) return {};
  return switches_->list();
}

KernelConfig Kernel::config_with_switches() {
  if (!switches_table_exists()) return config_;
  return PluginSwitches::overlay(config_, switches_->load());
}

sdk::db::Database& Kernel::database() noexcept { return *database_; }

void Kernel::start() {
  if (running_) return;
  started_at_ = std::chrono::steady_clock::now();
  // The database must answer, with the kernel's schema up to date, before anything is served:
  // a site with no database is down, and saying so at boot beats a stream of 503s.
  try {
    migrations_->apply("kernel", kernel_migrations_);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot use the database " + pool_->address().redacted() + ": " +
                             e.what());
  }
  spdlog::info("database: {} ({})", pool_->address().redacted(), pool_->server_version());
  // Only a kernel built with other migrations (a test's) lacks the table.
  has_switches_ = switches_table_exists();
  {
    std::lock_guard lock(apply_mutex_);
    plugins_->apply(effective_config());
  }
  if (!config_.demo_data.empty() && options_.load_demo_data) load_demo();
  // Only a kernel built with other migrations (a test's) lacks the jobs table.
  const auto owned = migrations_->owned_tables("kernel");
  if (std::find(owned.begin(), owned.end(), "lore_jobs") != owned.end()) {
    schedule_kernel_jobs();
    if (options_.run_jobs) scheduler_->start();
  }
  if (options_.serve_http) {
    workers_ = std::make_unique<WorkerPool>(static_cast<std::size_t>(config_.server.workers),
                                            static_cast<std::size_t>(config_.server.max_queue));
    HttpServerOptions http;
    http.host = config_.server.host;
    http.port = config_.server.port;
    http.threads = config_.server.threads;
    http.max_request_bytes = static_cast<std::size_t>(config_.server.max_body_bytes) + 65536;
    http.header_timeout = std::chrono::milliseconds(config_.server.header_timeout_ms);
    http.body_timeout = std::chrono::milliseconds(config_.server.body_timeout_ms);
    http.keepalive_timeout = std::chrono::milliseconds(config_.server.keepalive_timeout_ms);
    server_ = std::make_unique<HttpServer>(http, *pipeline_, *workers_);
    try {
      server_->start();
    } catch (const std::exception& e) {
      server_.reset();
      workers_.reset();
      scheduler_->stop();
      plugins_->stop_all();
      throw std::runtime_error("cannot listen on " + config_.server.host + ":" +
                               std::to_string(config_.server.port) + ": " + e.what());
    }
    spdlog::info("lore {} listening on http://{}:{}", kVersion, config_.server.host, port());
  }
  running_ = true;
  hooks_->fire(sdk::hooks::kernel_started, sdk::KernelStarted{kVersion, plugins_->running()});
}

void Kernel::schedule_kernel_jobs() {
  constexpr std::int64_t kMinute = 60 * 1000;
  constexpr std::int64_t kDay = 24 * 60 * kMinute;
  CommerceService& commerce = *commerce_;
  Outbox& outbox = *outbox_;
  const auto& clock = *clock_;
  scheduler_->every("orders.reconcile", config_.commerce.reconcile_interval_ms,
                    [&commerce](const Job&) {
                      // Batches of 100: a backlog drains over a few passes, each well inside the
                      // lease.
                      const auto r = commerce.reconcile(100);
                      if (r.settled + r.expired > 0)
                        spdlog::info(
                            "reconciliation: {} orders asked about, {} settled, {} expired, {} "
                            "waiting",
                            r.asked, r.settled, r.expired, r.waiting);
                    });
  scheduler_->every("idempotency.prune", 60 * kMinute, [&commerce, &clock](const Job&) {
    const auto pruned = commerce.keys().prune(clock.now_ms() - kDay);
    if (pruned > 0) spdlog::info("forgot {} idempotency keys older than a day", pruned);
  });
  scheduler_->every("outbox.prune", kDay, [&outbox, &clock](const Job&) {
    const auto pruned = outbox.prune(clock.now_ms() - kOutboxRetentionMs);
    if (pruned > 0) spdlog::info("forgot {} outbox events older than 30 days", pruned);
  });
}

void Kernel::load_demo() {
  // After the plugins: the course types check and store their courses' content.
  const auto report = load_demo_data(config_.demo_data, *accounts_, *catalog_);
  for (const auto& problem : report.problems) spdlog::warn("demo data: {}", problem);
  spdlog::info(
      "demo data ({}): {} users and {} courses created, {} users and {} courses there already{}",
      config_.demo_data, report.users_created, report.courses_created, report.users_present,
      report.courses_present,
      report.problems.empty() ? ""
                              : "; " + std::to_string(report.problems.size()) +
                                    " entries skipped (see the warnings above)");
}

void Kernel::reload(KernelConfig config) {
  // The server (socket, threads, limits) and the access log are fixed for the process's life;
  // the log level, plugins and their settings and the plugin policy apply at once.
  if (!(config.server == config_.server) || config.log.access != config_.log.access ||
      config.cache_url != config_.cache_url ||
      config.cache_key_prefix != config_.cache_key_prefix ||
      !(config.database == config_.database) ||
      config.hook_timing_sample_every != config_.hook_timing_sample_every)
    spdlog::warn(
        "server, database, cache, log.access or hooks settings changed; they take effect after "
        "a restart");
  std::lock_guard lock(apply_mutex_);
  if (!(config.auth == config_.auth))
    spdlog::warn("auth settings changed; they take effect after a restart");
  if (!(config.catalog == config_.catalog) || !(config.commerce == config_.commerce) ||
      config.demo_data != config_.demo_data)
    spdlog::warn(
        "catalog, commerce or demo_data settings changed; they take effect after a restart");
  if (config.log.level != config_.log.level)
    spdlog::set_level(spdlog::level::from_str(config.log.level));
  config.server = config_.server;
  config.cache_url = config_.cache_url;
  config.cache_key_prefix = config_.cache_key_prefix;
  config.database = config_.database;
  config.auth = config_.auth;
  config.catalog = config_.catalog;
  config.commerce = config_.commerce;
  config.demo_data = config_.demo_data;
  config.log.access = config_.log.access;
  config.hook_timing_sample_every = config_.hook_timing_sample_every;
  // Read the switches before anything changes: if the database is down the reload fails whole.
  auto effective = has_switches_ ? PluginSwitches::overlay(config, switches_->load()) : config;
  config_ = std::move(config);
  plugins_->apply(effective);
  spdlog::info("configuration reloaded; running plugins: {}", plugins_->running().size());
}

void Kernel::stop() {
  if (!running_) return;
  running_ = false;
  if (server_) {
    auto left = server_->stop(std::chrono::milliseconds(config_.server.shutdown_grace_ms));
    if (left > 0) spdlog::warn("{} request(s) still running at shutdown", left);
  }
  if (workers_) workers_->stop();
  // Before the plugins: a job may be asking a payment provider.
  scheduler_->stop();
  plugins_->stop_all();
  server_.reset();
  workers_.reset();
  spdlog::info("lore stopped");
}

std::uint16_t Kernel::port() const { return server_ ? server_->port() : 0; }

sh::Response Kernel::handle(sh::Request request) const {
  return pipeline_->handle(std::move(request));
}

nlohmann::json Kernel::openapi() const {
  return hooks_->apply(sdk::hooks::openapi_document, build_openapi(*routes_, kVersion));
}

std::string Kernel::metrics_text() const {
  std::string out;
  out.reserve(16384);
  pipeline_->render_metrics(out);
  hooks_->render_metrics(out);
  prometheus::header(out, "lore_plugin_state", "gauge", "1 for the state each plugin is in.");
  for (const auto& p : plugins_->status())
    out.append("lore_plugin_state{")
        .append(prometheus::labels({{"plugin", p.name}, {"state", to_string(p.state)}}))
        .append("} 1\n");
  prometheus::header(out, "lore_plugin_failures_total", "counter",
                     "Failures reported by each plugin's handlers and listeners.");
  for (const auto& p : plugins_->status())
    out.append("lore_plugin_failures_total{")
        .append(prometheus::labels({{"plugin", p.name}}))
        .append("} ")
        .append(std::to_string(p.failures))
        .append("\n");
  // Every counter and gauge with a single value, in one table.
  const auto cache = cache_->stats();
  const auto answers = catalog_->public_answers()->stats();
  const auto pool = pool_->stats();
  for (const auto& [name, type, value, help] :
       {std::tuple{"lore_cache_hits_total", "counter", std::uint64_t{cache.hits},
                   "Cache lookups that found a value."},
        std::tuple{"lore_cache_misses_total", "counter", std::uint64_t{cache.misses},
                   "Cache lookups that found nothing."},
        std::tuple{"lore_cache_computes_total", "counter", std::uint64_t{cache.computes},
                   "Values computed for get_or_compute (one per cold key)."},
        std::tuple{"lore_cache_errors_total", "counter", std::uint64_t{cache.errors},
                   "Cache backend failures (Redis unreachable or failing)."},
        std::tuple{"lore_cache_evictions_total", "counter", std::uint64_t{cache.evictions},
                   "Entries evicted from the in-process cache."},
        std::tuple{"lore_public_answers_hits_total", "counter", answers.hits,
                   "Course lists and pages answered from the public answer cache."},
        std::tuple{"lore_public_answers_misses_total", "counter", answers.misses,
                   "Anonymous course lists and pages the cache could not answer."},
        std::tuple{"lore_public_answers_entries", "gauge", answers.entries,
                   "Answers kept (some may be outdated until swept)."},
        std::tuple{"lore_public_answers_bytes", "gauge", answers.bytes,
                   "Bytes the kept answers take (catalog.public_cache_ms bounds their age)."},
        std::tuple{"lore_db_pool_size", "gauge", std::uint64_t{pool.size},
                   "Most database connections the pool opens (database.pool_size)."},
        std::tuple{"lore_db_connections_open", "gauge", std::uint64_t{pool.open},
                   "Database connections open now."},
        std::tuple{"lore_db_connections_in_use", "gauge", std::uint64_t{pool.in_use},
                   "Database connections leased now."},
        std::tuple{"lore_db_leases_total", "counter", pool.leases,
                   "Database connections handed out."},
        std::tuple{"lore_db_lease_timeouts_total", "counter", pool.lease_timeouts,
                   "Leases refused because no connection was free within the lease timeout."},
        std::tuple{"lore_db_reconnects_total", "counter", pool.reconnects,
                   "Dead connections found on lease and reopened."},
        std::tuple{"lore_db_connect_failures_total", "counter", pool.connect_failures,
                   "Failed attempts to open a database connection."}}) {
    prometheus::header(out, name, type, help);
    out.append(name).append(" ").append(std::to_string(value)).append("\n");
  }
  prometheus::header(out, "lore_uptime_seconds", "gauge", "Seconds since the kernel started.");
  out.append("lore_uptime_seconds ")
      .append(std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now() - started_at_)
                                 .count()))
      .append("\n");
  return out;
}

}  // namespace lore
