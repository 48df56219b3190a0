// The kernel's own routes: health, metrics, plugins and the OpenAPI document.
#include <spdlog/spdlog.h>

#include "core/kernel.h"
#include "lore/sdk/hooks.h"
#include "plugin/plugin_manager.h"
#include "storage/connection_pool.h"
#include "storage/pooled_database.h"

namespace lore {

namespace sh = sdk::http;

namespace {

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

}  // namespace

void Kernel::register_kernel_routes() {
  const Owner kernel{"kernel", nullptr};
  auto add = [&](sh::Method method, std::string path, std::string summary, sh::Access access,
                 sdk::Execution execution, auto handler) {
    sdk::RouteSpec spec;
    spec.method = method;
    spec.path = std::move(path);
    spec.summary = std::move(summary);
    spec.access = access;
    spec.execution = execution;
    spec.tags = {"ops"};
    auto status = routes_->add(kernel.name, kernel.anchor, std::move(spec),
                               [handler](const sh::Request& request) noexcept -> sh::Response {
                                 try {
                                   return handler(request);
                                 } catch (const std::exception& e) {
                                   spdlog::error("kernel route failed: {}", e.what());
                                   return sh::Response::failure(500, "internal", "internal error");
                                 }
                               });
    if (!status) throw std::logic_error(status.message());
  };

  add(sh::Method::get, "/healthz", "Liveness: the process answers.", sh::Access::anonymous,
      sdk::Execution::reactor, [](const sh::Request&) {
        // Pre-rendered: this route is polled by every load balancer.
        return sh::Response::text(R"({"status":"ok"})", 200, "application/json");
      });

  add(sh::Method::get, "/readyz",
      "Readiness: every check reported through health.readiness passes.", sh::Access::anonymous,
      sdk::Execution::worker, [this](const sh::Request&) {
        sdk::ReadinessReport report{{"kernel", running_, running_ ? "" : "not started"}};
        // Ready means the database answers now: a lease pings it (or fails fast during an
        // outage). When every connection is busy the pool is working, not down: a probe must not
        // wait for one, so the last connect attempt's outcome stands in.
        const auto pool = pool_->stats();
        if (pool.in_use >= pool.size) {
          const auto outage = pool_->outage();
          report.push_back({"database", !outage,
                            outage ? "database unreachable: " + *outage
                                   : "all " + std::to_string(pool.size) + " connections busy"});
        } else {
          try {
            database_->session();
            report.push_back({"database", true, pool_->server_version()});
          } catch (const sdk::db::Error& e) {
            report.push_back({"database", false, e.what()});
          }
        }
        report = hooks_->apply(sdk::hooks::readiness, std::move(report));
        bool ready = true;
        nlohmann::json checks = nlohmann::json::array();
        for (const auto& c : report) {
          ready = ready && c.ok;
          checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
        }
        if (!ready)
          return sh::Response::failure(503, "not_ready", "a readiness check failed",
                                       {{"checks", checks}});
        return sh::Response::json({{"status", "ready"}, {"checks", checks}});
      });

  add(sh::Method::get, "/metrics", "Prometheus metrics.", sh::Access::anonymous,
      sdk::Execution::worker, [this](const sh::Request&) {
        return sh::Response::text(metrics_text(), 200, "text/plain; version=0.0.4; charset=utf-8");
      });

  add(sh::Method::get, "/api/v1/plugins",
      "Plugins: version, state, reason, hooks, routes, failures.", sh::Access::admin,
      sdk::Execution::worker, [this](const sh::Request&) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : plugins_->status()) list.push_back(plugin_json(p));
        return sh::Response::json({{"plugins", list}});
      });

  add(sh::Method::get, "/api/v1/openapi.json", "This API's OpenAPI 3 document.",
      sh::Access::anonymous, sdk::Execution::worker,
      [this](const sh::Request&) { return sh::Response::json(openapi()); });
}

}  // namespace lore
