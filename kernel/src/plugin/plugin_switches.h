// Run-time plugin switches (the admin API's enable/disable), kept in lore_plugin_switches so
// that they outlive the process and apply to every process sharing the database at its next
// start or reload.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "config/kernel_config.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"

namespace lore {

class PluginSwitches {
 public:
  PluginSwitches(sdk::db::Database& database, const sdk::Clock& clock);

  // name -> enabled
  std::map<std::string, bool> load();
  void set(const std::string& name, bool enabled, std::int64_t by_user);

  // `config` with the switches applied: a switched-on plugin the configuration does not
  // mention runs with its default settings.
  static KernelConfig overlay(KernelConfig config, const std::map<std::string, bool>& switches);

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
