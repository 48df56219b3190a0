#include "plugin/plugin_switches.h"

#include "lore/sdk/sql_dialect.h"

namespace lore {

namespace db = sdk::db;

PluginSwitches::PluginSwitches(db::Database& database, const sdk::Clock& clock)
    : database_(database), clock_(clock) {}

std::map<std::string, bool> PluginSwitches::load() {
  std::map<std::string, bool> out;
  for (const auto& row :
       database_.session().query("SELECT name, enabled FROM lore_plugin_switches"))
    out[row.get<std::string>("name")] = row.get<bool>("enabled");
  return out;
}

std::vector<PluginSwitches::Switch> PluginSwitches::list() {
  std::vector<Switch> out;
  for (const auto& row : database_.session().query(
           "SELECT name, enabled, changed_by, changed_at FROM lore_plugin_switches ORDER BY name"))
    out.push_back({row.get<std::string>("name"), row.get<bool>("enabled"),
                   row.get_optional<std::int64_t>("changed_by").value_or(0),
                   row.get<std::int64_t>("changed_at")});
  return out;
}

bool PluginSwitches::clear(const std::string& name) {
  return database_.session().execute("DELETE FROM lore_plugin_switches WHERE name = ?", {name}) > 0;
}

void PluginSwitches::set(const std::string& name, bool enabled, std::int64_t by_user) {
  const auto sql = db::upsert_sql(database_.dialect(), "lore_plugin_switches",
                                  {"name", "enabled", "changed_by", "changed_at"}, {"name"},
                                  {"enabled", "changed_by", "changed_at"});
  database_.session().execute(sql, {name, enabled, by_user, clock_.now_ms()});
}

KernelConfig PluginSwitches::overlay(KernelConfig config,
                                     const std::map<std::string, bool>& switches) {
  for (const auto& [name, enabled] : switches) {
    auto& entry = config.plugins[name];
    entry.name = name;
    entry.enabled = enabled;
  }
  return config;
}

}  // namespace lore
