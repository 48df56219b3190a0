// What the kernel gives a plugin: everything it registers through this context is owned by the
// plugin and removed by the kernel when the plugin stops.
#pragma once

#include <string_view>

#include "lore/sdk/accounts.h"
#include "lore/sdk/cache.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/hook_bus.h"
#include "lore/sdk/logger.h"
#include "lore/sdk/routes.h"
#include "lore/sdk/services.h"
#include "lore/sdk/settings.h"

namespace lore::sdk {

class Context {
 public:
  virtual ~Context() = default;
  virtual std::string_view plugin_name() const noexcept = 0;
  virtual std::string_view plugin_version() const noexcept = 0;
  virtual const Settings& settings() const noexcept = 0;
  virtual Logger& log() noexcept = 0;
  virtual HookBus& hooks() noexcept = 0;
  virtual Services& services() noexcept = 0;
  virtual Routes& routes() noexcept = 0;
  virtual const Clock& clock() const noexcept = 0;
  // The site's cache (in-process or Redis, from cache.url). Namespaces are the plugin's own:
  // the kernel prefixes them with the plugin's name, so plugins cannot see or invalidate each
  // other's entries.
  virtual Cache& cache() noexcept = 0;
  // The site's database (SQLite or MySQL/MariaDB, from database.url), shared with the kernel.
  // The plugin's tables carry database().table_prefix() and are created by its migrations.
  virtual db::Database& database() noexcept = 0;
  // Users and sessions, owned by the kernel (see accounts.h).
  virtual accounts::Accounts& accounts() noexcept = 0;
};

}  // namespace lore::sdk
