// `lore`: a thin command line over the kernel library.
#include <malloc.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "accounts/account_error.h"
#include "accounts/account_service.h"
#include "accounts/session_store.h"
#include "accounts/user_store.h"
#include "config/kernel_config.h"
#include "config/yaml_checker.h"
#include "core/kernel.h"
#include "core/logging.h"
#include "hooks/hook_bus.h"
#include "lore/sdk/abi.h"
#include "lore/sdk/clock.h"
#include "plugin/plugin_manager.h"
#include "storage/connection_pool.h"
#include "storage/migration.h"
#include "storage/migration_runner.h"

namespace {

struct CommonOptions {
  std::string config_file = "config/lore.yaml";
  std::vector<std::string> overrides;
};

void add_common(CLI::App* command, CommonOptions& options) {
  command->add_option("-c,--config", options.config_file, "Configuration file")
      ->capture_default_str();
  command->add_option("--set", options.overrides,
                      "Override a configuration key: --set server.port=9090 (repeatable)");
}

lore::KernelConfig load(const CommonOptions& options) {
  return lore::load_kernel_config(options.config_file, options.overrides);
}

int print_config_error(const lore::ConfigError& e) {
  std::cerr << "configuration error" << (e.problems().size() > 1 ? "s" : "") << ":\n";
  for (const auto& p : e.problems()) std::cerr << "  " << p << "\n";
  return 2;
}

int serve(const CommonOptions& options) {
  // Signals are taken by one thread with sigwait, so they must be blocked before any other
  // thread (Pistache's reactors, the worker pool) exists and inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  lore::KernelConfig config = load(options);
  lore::configure_logging(config.log.level);
  lore::Kernel kernel(config, lore::KernelOptions{.run_jobs = true});
  try {
    kernel.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  for (;;) {
    int received = 0;
    if (sigwait(&signals, &received) != 0) continue;
    if (received == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", options.config_file);
      try {
        kernel.reload(load(options));
      } catch (const lore::ConfigError& e) {
        for (const auto& p : e.problems()) spdlog::error("reload refused: {}", p);
      } catch (const std::exception& e) {
        spdlog::error("reload failed: {}", e.what());
      }
      continue;
    }
    spdlog::info("{}: shutting down", received == SIGINT ? "SIGINT" : "SIGTERM");
    kernel.stop();
    return 0;
  }
}

int check_config(const CommonOptions& options) {
  lore::KernelConfig config = load(options);
  auto problems = lore::PluginManager::check_settings(config);
  if (!problems.empty()) return print_config_error(lore::ConfigError(problems));
  std::cout << options.config_file << ": configuration OK (" << config.plugins.size()
            << " plugin entries)\n";
  return 0;
}

// Starts the plugins without HTTP, so the answer reflects what `serve` would do.
template <class Body>
int with_offline_kernel(const CommonOptions& options, Body body) {
  lore::KernelConfig config = load(options);
  lore::configure_logging("warn");
  lore::Kernel kernel(config, lore::KernelOptions{.serve_http = false, .load_demo_data = false});
  kernel.start();
  int rc = body(kernel);
  kernel.stop();
  return rc;
}

int list_plugins(const CommonOptions& options, bool as_json) {
  return with_offline_kernel(options, [&](lore::Kernel& kernel) {
    auto status = kernel.plugins().status();
    if (as_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& p : status)
        out.push_back({{"name", p.name},
                       {"version", p.version},
                       {"state", std::string(lore::to_string(p.state))},
                       {"reason", p.reason}});
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    std::printf("%-20s %-10s %-14s %s\n", "NAME", "VERSION", "STATE", "REASON");
    for (const auto& p : status)
      std::printf("%-20s %-10s %-14s %s\n", p.name.c_str(), p.version.c_str(),
                  std::string(lore::to_string(p.state)).c_str(), p.reason.c_str());
    return 0;
  });
}

int list_hooks(const CommonOptions& options, const std::string& only) {
  return with_offline_kernel(options, [&](lore::Kernel& kernel) {
    bool found = only.empty();
    for (const auto& h : kernel.hooks().describe()) {
      if (!only.empty() && h.name != only) continue;
      found = true;
      std::cout << h.name << "  (" << lore::to_string(h.kind) << " of " << h.payload_type
                << (h.declared_by.empty() ? "" : ", declared by " + h.declared_by) << ")\n";
      if (!h.description.empty()) std::cout << "    " << h.description << "\n";
      if (h.listeners.empty()) std::cout << "    no listeners\n";
      int position = 1;
      for (const auto& l : h.listeners) {
        std::cout << "    " << position++ << ". " << l.label;
        if (l.label != l.owner) std::cout << " [" << l.owner << "]";
        std::cout << "  priority " << l.priority << ", registered #" << l.sequence;
        for (const auto& b : l.before) std::cout << ", before " << b;
        for (const auto& a : l.after) std::cout << ", after " << a;
        std::cout << "\n";
      }
      for (const auto& w : h.warnings) std::cout << "    warning: " << w << "\n";
    }
    if (!found) {
      std::cerr << "no hook named '" << only << "'\n";
      return 1;
    }
    return 0;
  });
}

// Applies (or, with --dry-run, lists) the pending migrations of the kernel and of every enabled
// plugin, dependencies first, without starting anything.
int migrate(const CommonOptions& options, bool dry_run) {
  lore::KernelConfig config = load(options);
  lore::configure_logging("warn");
  lore::Kernel kernel(config, lore::KernelOptions{.serve_http = false, .load_demo_data = false});
  auto& runner = kernel.migrations();
  std::map<std::string, std::string> skipped;
  std::vector<std::pair<std::string, std::vector<lore::Migration>>> components;
  components.emplace_back("kernel", kernel.kernel_migrations());
  // A plugin switched on at run time (admin API) runs at the next start: its tables too.
  for (const auto& m :
       lore::PluginManager::startable_manifests(kernel.config_with_switches(), skipped))
    components.emplace_back(
        m.name, lore::load_migrations(m.directory / "migrations", m.name, kernel.pool().dialect()));
  std::cout << "database " << kernel.pool().address().redacted() << "\n";
  int rc = 0;
  for (const auto& [component, migrations] : components) {
    try {
      const auto status = runner.status(component, migrations);
      for (const auto& warning : status.warnings) std::cout << "  warning: " << warning << "\n";
      std::cout << component << ": " << status.applied.size() << " applied, "
                << status.pending.size() << " pending\n";
      for (const auto& m : status.pending) {
        std::cout << (dry_run ? "  would apply " : "  pending ") << m.label() << "  (" << m.source
                  << ")\n";
        if (dry_run)
          for (auto statement : runner.statements(m)) {
            for (std::size_t at = 0; (at = statement.find('\n', at)) != std::string::npos; at += 5)
              statement.replace(at, 1, "\n    ");
            std::cout << "    " << statement << ";\n";
          }
      }
      if (!dry_run && !status.pending.empty()) {
        const auto applied = runner.apply(component, migrations);
        for (const auto& label : applied) std::cout << "  applied " << label << "\n";
        if (applied.size() < status.pending.size())
          std::cout << "  " << status.pending.size() - applied.size()
                    << " applied meanwhile by another process\n";
      }
    } catch (const std::exception& e) {
      std::cerr << "error: " << component << ": " << e.what() << "\n";
      rc = 1;
    }
  }
  for (const auto& [name, reason] : skipped) std::cout << name << ": skipped (" << reason << ")\n";
  return rc;
}

// Drops a plugin's tables and forgets its migrations: the plugin must be disabled first, and
// the operator confirms by typing its name (or passes --yes in scripts).
int uninstall_plugin(const CommonOptions& options, const std::string& name, bool yes) {
  lore::KernelConfig config = load(options);
  lore::configure_logging("warn");
  if (auto it = config.plugins.find(name); it != config.plugins.end() && it->second.enabled) {
    std::cerr << "error: plugin " << name << " is enabled in " << options.config_file
              << "; set plugins." << name << ".enabled: false (and reload the server) first\n";
    return 1;
  }
  lore::Kernel kernel(config, lore::KernelOptions{.serve_http = false, .load_demo_data = false});
  for (const auto& s : kernel.plugin_switches())
    if (s.name == name && s.enabled) {
      std::cerr << "error: plugin " << name
                << " is switched on at run time (POST /api/v1/admin/plugins/" << name
                << "/enable); disable it there, or clear the switch with `lore plugins "
                   "clear-switch "
                << name << "` if the configuration disables it, first\n";
      return 1;
    }
  auto& runner = kernel.migrations();
  const auto tables = runner.owned_tables(name);
  const auto status = runner.status(name, {});
  if (tables.empty() && status.applied.empty()) {
    std::cout << "nothing to uninstall: " << name << " has no tables or migrations in "
              << kernel.pool().address().redacted() << "\n";
    return 0;
  }
  std::cout << "Uninstalling " << name << " from " << kernel.pool().address().redacted()
            << " drops " << tables.size() << " table(s) and forgets " << status.applied.size()
            << " migration(s):\n";
  for (const auto& table : tables) std::cout << "  " << table << "\n";
  std::cout << "Their data is lost.\n";
  if (!yes) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "error: not confirmed; type the name at a terminal or pass --yes\n";
      return 1;
    }
    std::cout << "Type the plugin name to confirm: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != name) {
      std::cerr << "aborted; nothing was dropped\n";
      return 1;
    }
  }
  for (const auto& table : runner.uninstall(name)) std::cout << "dropped " << table << "\n";
  std::cout << name << " uninstalled\n";
  return 0;
}

// Run-time switches (the admin API's enable/disable), which win over the configuration file.
int list_switches(const CommonOptions& options) {
  lore::KernelConfig config = load(options);
  lore::configure_logging("warn");
  lore::Kernel kernel(config, lore::KernelOptions{.serve_http = false, .load_demo_data = false});
  const auto switches = kernel.plugin_switches();
  if (switches.empty()) {
    std::cout << "no run-time switches: the configuration decides for every plugin\n";
    return 0;
  }
  std::printf("%-20s %-9s %-10s %-25s %s\n", "NAME", "SWITCH", "BY USER", "CHANGED AT",
              "CONFIGURATION SAYS");
  for (const auto& s : switches) {
    const auto it = config.plugins.find(s.name);
    const char* file = it == config.plugins.end() ? "not listed"
                       : it->second.enabled       ? "enabled"
                                                  : "disabled";
    std::printf("%-20s %-9s %-10s %-25s %s\n", s.name.c_str(), s.enabled ? "on" : "off",
                s.changed_by ? std::to_string(s.changed_by).c_str() : "-",
                lore::sdk::rfc3339(s.changed_at_ms).c_str(), file);
  }
  return 0;
}

// Forgets one switch, so the configuration decides again (at the next start or reload of
// running servers; an admin's DELETE /api/v1/admin/plugins/{name}/switch applies at once).
int clear_switch(const CommonOptions& options, const std::string& name) {
  lore::KernelConfig config = load(options);
  lore::configure_logging("warn");
  lore::Kernel kernel(config, lore::KernelOptions{.serve_http = false, .load_demo_data = false});
  if (kernel.clear_plugin_switch(name)) {
    std::cout << name
              << ": switch cleared; the configuration decides at the next start or "
                 "reload (SIGHUP)\n";
    return 0;
  }
  std::cerr << "error: plugin " << name << " has no run-time switch\n";
  return 1;
}

// Creates an account from the command line: how a site gets its first admin before any sign-in
// method exists. With --token, also opens a session and prints its token, once.
int create_user(const CommonOptions& options, const std::string& email,
                const std::string& display_name, std::vector<std::string> roles, bool token) {
  lore::KernelConfig config = load(options);
  lore::configure_logging("warn");
  lore::Kernel kernel(config, lore::KernelOptions{.serve_http = false, .load_demo_data = false});
  // The kernel's schema (accounts included) is brought up to date first.
  kernel.migrations().apply("kernel", kernel.kernel_migrations());
  auto& accounts = kernel.accounts();
  if (roles.empty()) roles.push_back("learner");
  try {
    const auto user =
        accounts.users().create({email, display_name.empty() ? email : display_name, roles});
    nlohmann::json out{{"user", user}};
    if (token)
      out["token"] = accounts.sessions().issue(user.id, "lore admin create-user", "").token;
    std::cout << out.dump(2) << "\n";
    return 0;
  } catch (const lore::AccountError& e) {
    if (e.fields().empty()) std::cerr << "error: " << e.code() << ": " << e.what() << "\n";
    for (const auto& f : e.fields())
      std::cerr << "error: " << f.code << " (" << f.field << "): " << f.message << "\n";
    return 1;
  }
}

// glibc hands the free memory at the top of a heap back to the system as soon as 128 KiB of it
// are free, and the next request takes it back through page faults. Answers of 10-20 KiB (the
// course list) made that happen on nearly every request: the 12 KiB list ran at 0.55 of
// /healthz's rate, 0.9 once freed memory is kept. Up to 64 MiB per heap is kept instead, unless
// the operator chose a threshold (MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES).
void keep_freed_memory() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr ||
      (tunables != nullptr &&
       std::string_view(tunables).find("trim_threshold") != std::string_view::npos))
    return;
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  CLI::App app{"Lore: a paid-knowledge platform kernel with runtime plugins"};
  app.require_subcommand(1);
  CommonOptions options;

  auto* serve_cmd = app.add_subcommand("serve", "Start the HTTP server and the enabled plugins");
  add_common(serve_cmd, options);
  auto* check_cmd = app.add_subcommand("check-config", "Validate the configuration and exit");
  add_common(check_cmd, options);
  auto* plugins_cmd = app.add_subcommand("plugins", "List plugins with their state and reason");
  add_common(plugins_cmd, options);
  bool as_json = false;
  plugins_cmd->add_flag("--json", as_json, "Print JSON");
  auto* uninstall_cmd = plugins_cmd->add_subcommand(
      "uninstall", "Drop a disabled plugin's tables and forget its migrations");
  add_common(uninstall_cmd, options);
  std::string uninstall_name;
  bool uninstall_yes = false;
  uninstall_cmd->add_option("name", uninstall_name, "The plugin")->required();
  uninstall_cmd->add_flag("--yes", uninstall_yes, "Do not ask for confirmation");
  auto* switches_cmd = plugins_cmd->add_subcommand(
      "switches", "List run-time switches (admin API enable/disable), which win over the file");
  add_common(switches_cmd, options);
  auto* clear_switch_cmd = plugins_cmd->add_subcommand(
      "clear-switch", "Forget a plugin's run-time switch so the configuration decides again");
  add_common(clear_switch_cmd, options);
  std::string switch_name;
  clear_switch_cmd->add_option("name", switch_name, "The plugin")->required();
  auto* admin_cmd = app.add_subcommand("admin", "Administration from the command line");
  admin_cmd->require_subcommand(1);
  auto* create_user_cmd = admin_cmd->add_subcommand("create-user", "Create an account");
  add_common(create_user_cmd, options);
  std::string user_email, user_name;
  std::vector<std::string> user_roles;
  bool user_token = false;
  create_user_cmd->add_option("--email", user_email, "Email address")->required();
  create_user_cmd->add_option("--display-name", user_name, "Name shown to others (default: email)");
  create_user_cmd->add_option("--role", user_roles, "admin, creator or learner (repeatable)");
  create_user_cmd->add_flag("--token", user_token, "Also open a session and print its token once");
  auto* migrate_cmd = app.add_subcommand(
      "migrate", "Apply pending migrations of the kernel and the enabled plugins");
  add_common(migrate_cmd, options);
  bool dry_run = false;
  migrate_cmd->add_flag("--dry-run", dry_run, "Only print what would run");
  auto* hooks_cmd = app.add_subcommand("hooks", "Print hooks and the resolved order of listeners");
  add_common(hooks_cmd, options);
  std::string hook_name;
  hooks_cmd->add_option("name", hook_name, "Only this hook");
  auto* version_cmd = app.add_subcommand("version", "Print version, SDK ABI and build fingerprint");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_cmd) return serve(options);
    if (*check_cmd) return check_config(options);
    if (*uninstall_cmd) return uninstall_plugin(options, uninstall_name, uninstall_yes);
    if (*switches_cmd) return list_switches(options);
    if (*clear_switch_cmd) return clear_switch(options, switch_name);
    if (*plugins_cmd) return list_plugins(options, as_json);
    if (*migrate_cmd) return migrate(options, dry_run);
    if (*create_user_cmd)
      return create_user(options, user_email, user_name, user_roles, user_token);
    if (*hooks_cmd) return list_hooks(options, hook_name);
    if (*version_cmd) {
      std::cout << "lore " << lore::Kernel::kVersion << "\nsdk " << lore::sdk::kSdkVersion
                << " (abi " << lore::sdk::kAbiVersion << ")\nfingerprint "
                << lore::sdk::kBuildFingerprint << "\n";
      return 0;
    }
  } catch (const lore::ConfigError& e) {
    return print_config_error(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
