// The kernel's own routes: health, metrics, plugins and the OpenAPI document.
#include <spdlog/spdlog.h>

#include "core/kernel.h"
#include "lore/sdk/hooks.h"
#include "plugin/plugin_manager.h"
#include "storage/connection_pool.h"
#include "storage/pooled_database.h"

namespace lore {

namespace sh = sdk::http;

void Kernel::add_route(sdk::RouteSpec spec, std::function<sh::Response(const sh::Request&)> handler,
                       std::shared_ptr<ResponseCache> response_cache) {
  auto status = routes_->add(
      "kernel", nullptr, std::move(spec),
      [handler = std::move(handler)](const sh::Request& request) noexcept -> sh::Response {
        try {
          return handler(request);
        } catch (...) {
          // The pipeline logs an internal error's cause and strips it from the answer.
          return sdk::detail::current_exception_response();
        }
      },
      std::move(response_cache));
  if (!status) throw std::logic_error(status.message());
}

void Kernel::add_api_route(sh::Method method, std::string path, std::string summary,
                           sh::Access access, std::string scope, std::string tag,
                           std::function<sh::Response(const sh::Request&)> handler,
                           std::shared_ptr<ResponseCache> response_cache) {
  sdk::RouteSpec spec;
  spec.method = method;
  spec.path = std::move(path);
  spec.summary = std::move(summary);
  spec.access = std::move(access);
  spec.scope = std::move(scope);
  spec.tags = {std::move(tag)};
  add_route(std::move(spec), std::move(handler), std::move(response_cache));
}

void Kernel::register_kernel_routes() {
  auto add = [&](sh::Method method, std::string path, std::string summary, sh::Access access,
                 sdk::Execution execution, auto handler, std::string scope = {}) {
    sdk::RouteSpec spec;
    spec.method = method;
    spec.path = std::move(path);
    spec.summary = std::move(summary);
    spec.access = std::move(access);
    spec.execution = execution;
    spec.scope = std::move(scope);
    spec.tags = {"ops"};
    add_route(std::move(spec), handler);
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

  add(
      sh::Method::get, "/api/v1/plugins",
      "Plugins: version, state, reason, hooks, routes, failures.", sh::Access::admin,
      sdk::Execution::worker,
      [this](const sh::Request&) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : plugins_->status()) list.push_back(plugin_json(p));
        return sh::Response::json({{"plugins", list}});
      },
      "plugins:read");

  add(sh::Method::get, "/api/v1/openapi.json", "This API's OpenAPI 3 document.",
      sh::Access::anonymous, sdk::Execution::worker,
      [this](const sh::Request&) { return sh::Response::json(openapi()); });
}

}  // namespace lore
