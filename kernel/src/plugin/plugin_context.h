// The sdk::Context a plugin receives: thin views over the kernel's hook bus, routes and
// services that stamp every registration with the plugin's name and anchor.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "core/service_registry.h"
#include "hooks/hook_bus.h"
#include "http/route_table.h"
#include "lore/sdk/context.h"
#include "storage/connection_pool.h"
#include "storage/migration_runner.h"
#include "storage/pooled_database.h"

namespace lore {

struct PluginInstance;

struct KernelParts {
  HookBus& hooks;
  RouteTable& routes;
  ServiceRegistry& services;
  const sdk::Clock& clock;
  sdk::Cache& cache;
  ConnectionPool& pool;
  MigrationRunner& migrations;
  sdk::accounts::Accounts& accounts;
};

class PluginContext final : public sdk::Context {
 public:
  PluginContext(KernelParts parts, std::string name, std::string version, sdk::Settings settings,
                std::shared_ptr<spdlog::logger> logger);
  ~PluginContext() override;

  // Set once the instance exists; registrations then hold it alive.
  void set_anchor(std::weak_ptr<PluginInstance> instance) { instance_ = std::move(instance); }

  std::string_view plugin_name() const noexcept override { return name_; }
  std::string_view plugin_version() const noexcept override { return version_; }
  const sdk::Settings& settings() const noexcept override { return settings_; }
  sdk::Logger& log() noexcept override;
  sdk::HookBus& hooks() noexcept override;
  sdk::Services& services() noexcept override;
  sdk::Routes& routes() noexcept override;
  const sdk::Clock& clock() const noexcept override { return parts_.clock; }
  sdk::Cache& cache() noexcept override;
  sdk::db::Database& database() noexcept override { return database_; }
  sdk::accounts::Accounts& accounts() noexcept override { return parts_.accounts; }

 private:
  class Logger;
  class Hooks;
  class Services;
  class Routes;
  class Cache;

  Owner owner() const;

  KernelParts parts_;
  std::string name_;
  std::string version_;
  sdk::Settings settings_;
  std::weak_ptr<PluginInstance> instance_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<Hooks> hooks_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<Cache> cache_;
  PooledDatabase database_;
};

}  // namespace lore
