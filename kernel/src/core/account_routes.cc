// The kernel's account routes, the same whatever auth method signed the user in: who am I,
// sign out, my sessions. Signing up and in are the auth plugins' routes.

#include "accounts/account_service.h"
#include "core/kernel.h"
#include "core/route_input.h"

namespace lore {

namespace sh = sdk::http;

void Kernel::register_account_routes() {
  auto add = [&](sh::Method method, std::string path, std::string summary, sh::Access access,
                 std::string scope, auto handler) {
    add_api_route(method, std::move(path), std::move(summary), std::move(access), std::move(scope),
                  "accounts", handler);
  };
  AccountService& accounts = *accounts_;

  add(sh::Method::get, "/api/v1/me", "The signed-in user.", sh::Access::authenticated, "profile",
      [&accounts](const sh::Request& request) {
        const auto& principal = *request.principal;
        auto user = accounts.users().find(principal.user_id);
        if (!user) throw sh::Error(401, "invalid_token", "the token's user no longer exists");
        nlohmann::json body{{"user", *user}, {"via", principal.via}};
        if (principal.via != "session") body["scopes"] = principal.scopes;
        return sh::Response::json(body);
      });

  add(sh::Method::post, "/api/v1/auth/logout", "Ends the session the request came with.",
      sh::Access::authenticated, "", [&accounts](const sh::Request& request) {
        const auto& principal = *request.principal;
        accounts.revoke_session(principal.session_id, principal.user_id);
        return sh::Response::no_content();
      });

  add(sh::Method::get, "/api/v1/me/sessions",
      "The signed-in user's live sessions, newest first; `current` marks this one.",
      sh::Access::authenticated, "", [&accounts](const sh::Request& request) {
        const auto& principal = *request.principal;
        nlohmann::json list = nlohmann::json::array();
        for (const auto& session : accounts.sessions().list(principal.user_id)) {
          nlohmann::json item = session;
          item["current"] = session.id == principal.session_id;
          list.push_back(std::move(item));
        }
        return sh::Response::json({{"sessions", list}});
      });

  add(sh::Method::delete_, "/api/v1/me/sessions",
      "Signs out everywhere else: revokes every session but this one.", sh::Access::authenticated,
      "", [&accounts](const sh::Request& request) {
        const auto& principal = *request.principal;
        return sh::Response::json(
            {{"revoked", accounts.revoke_all(principal.user_id, principal.session_id)}});
      });

  add(sh::Method::delete_, "/api/v1/me/sessions/{id}", "Revokes one of the user's sessions.",
      sh::Access::owner(
          [&accounts](const sh::Request& request) -> std::optional<std::int64_t> {
            auto id = id_param(request, "id");
            return id ? accounts.sessions().owner_of(*id) : std::nullopt;
          },
          /*admins_too=*/false),
      "", [&accounts](const sh::Request& request) {
        accounts.revoke_session(*id_param(request, "id"), request.principal->user_id);
        return sh::Response::no_content();
      });
}

}  // namespace lore
