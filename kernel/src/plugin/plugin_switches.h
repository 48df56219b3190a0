// Run-time plugin switches (the admin API's enable/disable), kept in lore_plugin_switches so
// that they outlive the process and apply to every process sharing the database at its next
// start or reload.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/kernel_config.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"

namespace lore {

class PluginSwitches {
 public:
  PluginSwitches(sdk::db::Database& database, const sdk::Clock& clock);

  struct Switch {
    std::string name;
    bool enabled = false;
    std::int64_t changed_by = 0;  // 0: not recorded
    std::int64_t changed_at_ms = 0;
  };

  // name -> enabled
  std::map<std::string, bool> load();
  std::vector<Switch> list();
  void set(const std::string& name, bool enabled, std::int64_t by_user);
  // Forgets the switch, so the configuration decides again; false when there was none.
  bool clear(const std::string& name);

  // `config` with the switches applied: a switched-on plugin the configuration does not
  // mention runs with its default settings.
  static KernelConfig overlay(KernelConfig config, const std::map<std::string, bool>& switches);

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
