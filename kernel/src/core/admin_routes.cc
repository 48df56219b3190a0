// Admin routes: people (list, roles, suspension) and the run-time plugin switch. All need the
// admin role; API keys reach them with the users:* and plugins:write scopes.
#include <spdlog/spdlog.h>

#include "accounts/account_error.h"
#include "accounts/account_service.h"
#include "core/kernel.h"
#include "core/route_input.h"
#include "plugin/plugin_manager.h"

namespace lore {

namespace sh = sdk::http;

namespace {

std::int64_t user_id_param(const sh::Request& request) {
  auto id = id_param(request, "id");
  if (!id) throw sh::Error(404, "not_found", "no such user");
  return *id;
}

}  // namespace

void Kernel::register_admin_routes() {
  auto add = [&](sh::Method method, std::string path, std::string summary, std::string scope,
                 auto handler) {
    add_api_route(method, std::move(path), std::move(summary), sh::Access::admin, std::move(scope),
                  "admin", handler);
  };
  AccountService& accounts = *accounts_;

  add(sh::Method::get, "/api/v1/admin/users",
      "Users by id; filters ?q= (email prefix), ?role=, ?status=; ?limit= (1-200, default 50) and "
      "?cursor= (the previous page's next_cursor).",
      "users:read", [&accounts](const sh::Request& request) {
        std::vector<sh::FieldError> errors;
        const auto page = page_of(request, 50, 200, errors);
        UserQuery query;
        query.after_id = page.after_id;
        query.limit = page.limit;
        query.email_prefix = request.query_param("q").value_or("");
        query.role = request.query_param("role").value_or("");
        query.status = request.query_param("status").value_or("");
        if (query.email_prefix.size() > 254)
          errors.push_back({"q", "too_long", "q is at most 254 bytes"});
        if (!query.role.empty() &&
            std::find(std::begin(kRoles), std::end(kRoles), query.role) == std::end(kRoles))
          errors.push_back({"role", "invalid_role", "role is one of admin, creator, learner"});
        if (!query.status.empty() && query.status != "active" && query.status != "suspended")
          errors.push_back({"status", "invalid_status", "status is active or suspended"});
        if (!errors.empty()) throw sh::invalid_fields(std::move(errors));
        const auto users = accounts.users().list(query);
        nlohmann::json next = nullptr;
        if (static_cast<int>(users.size()) == query.limit) next = std::to_string(users.back().id);
        return sh::Response::json({{"users", users}, {"next_cursor", next}});
      });

  add(sh::Method::get, "/api/v1/admin/users/{id}", "One user.", "users:read",
      [&accounts](const sh::Request& request) {
        auto user = accounts.users().find(user_id_param(request));
        if (!user) throw sh::Error(404, "not_found", "no such user");
        return sh::Response::json({{"user", *user}});
      });

  add(sh::Method::put, "/api/v1/admin/users/{id}/roles",
      "Replaces a user's roles: {\"roles\": [\"creator\", \"learner\"]}. Their sessions see the "
      "change at once. Refused (409 last_admin) when it would leave no active admin.",
      "users:write", [&accounts](const sh::Request& request) {
        const auto id = user_id_param(request);
        const auto body = sh::parse_json_object_body(request);
        std::vector<sh::FieldError> errors;
        auto roles = string_list_field(body, "roles", errors);
        if (!errors.empty()) throw sh::invalid_fields(std::move(errors));
        auto user = accounts.set_roles(id, *roles);
        spdlog::info("user {} roles set by user {}", id, request.principal->user_id);
        return sh::Response::json({{"user", user}});
      });

  for (const auto& [verb, status] :
       {std::pair{"suspend", "suspended"}, std::pair{"activate", "active"}}) {
    const std::string to = status;
    add(sh::Method::post, std::string("/api/v1/admin/users/{id}/") + verb,
        to == "suspended"
            ? "Suspends a user: signed out everywhere at once, and cannot sign in. Refused for "
              "yourself, and for the last active admin."
            : "Lets a suspended user sign in again.",
        "users:write", [&accounts, to](const sh::Request& request) {
          const auto id = user_id_param(request);
          if (to == "suspended" && id == request.principal->user_id)
            throw sh::Error(409, "self_suspension", "you cannot suspend yourself");
          auto user = accounts.set_status(id, to);
          spdlog::info("user {} {} by user {}", id, to, request.principal->user_id);
          return sh::Response::json({{"user", user}});
        });
  }

  for (const bool enable : {true, false}) {
    add(sh::Method::post,
        std::string("/api/v1/admin/plugins/{name}/") + (enable ? "enable" : "disable"),
        enable ? "Starts a plugin now (and at every start until disabled); answers its state, "
                 "with the reason when it could not start."
               : "Stops a plugin now, after its in-flight requests (and its dependents first); "
                 "it stays off across restarts until enabled.",
        "plugins:write", [this, enable](const sh::Request& request) {
          const auto name = request.param("name");
          switch_plugin(name, enable, request.principal->user_id);
          for (const auto& p : plugins_->status())
            if (p.name == name) return sh::Response::json({{"plugin", plugin_json(p)}});
          throw sh::Error(404, "not_found", "no plugin named '" + name + "'");
        });
  }

  add(sh::Method::delete_, "/api/v1/admin/plugins/{name}/switch",
      "Forgets the run-time switch of a plugin: the configuration file decides again, now and at "
      "every start. Answers the plugin's state.",
      "plugins:write", [this](const sh::Request& request) {
        const auto name = request.param("name");
        if (!clear_plugin_switch(name))
          throw sh::Error(404, "not_found", "plugin '" + name + "' has no run-time switch");
        spdlog::info("plugin {} switch cleared by user {}", name, request.principal->user_id);
        for (const auto& p : plugins_->status())
          if (p.name == name) return sh::Response::json({{"plugin", plugin_json(p)}});
        // Switched on, never configured, now gone: nothing runs under that name.
        return sh::Response::json({{"plugin", {{"name", name}, {"state", "absent"}}}});
      });
}

}  // namespace lore
