// Who may call a route. Every route declares one; the kernel refuses a route without it and
// checks it before the handler runs, so a handler never sees a caller it did not ask for.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "lore/sdk/handler_guard.h"
#include "lore/sdk/http.h"

namespace lore::sdk::http {

// What an ownership lookup found: the owner's user id, nothing (no such resource: 404), or a
// failure to answer with (e.g. the database is down).
struct OwnerLookup {
  std::optional<std::int64_t> owner;
  std::optional<Response> failure;
};

// Never throws (see Access::owner).
using ErasedOwnerLookup = std::function<OwnerLookup(const Request&)>;

class Access {
 public:
  enum class Kind {
    anonymous,      // anyone, signed in or not
    authenticated,  // any signed-in principal
    role,           // principals holding `role()`; admins pass every role check
    owner,          // the signed-in owner of the resource the request names (and admins, if
                    // allowed); anyone else gets 404, so ids of others' resources reveal nothing
  };

  static const Access anonymous;
  static const Access authenticated;
  static const Access admin;  // role("admin")

  static Access role(std::string role) {
    Access a(Kind::role);
    a.role_ = std::move(role);
    return a;
  }

  // `owner_of(const Request&) -> std::optional<std::int64_t>`: the user id owning the resource
  // the request names (usually from a path parameter), or nullopt when there is none. It runs
  // after authentication, on a worker thread, and may query the database; what it throws is
  // answered like a handler's exception.
  template <class F>
  static Access owner(F owner_of, bool admins_too = true) {
    Access a(Kind::owner);
    a.admins_too_ = admins_too;
    a.owner_of_ = [fn = std::move(owner_of)](const Request& request) noexcept -> OwnerLookup {
      try {
        return OwnerLookup{fn(request), std::nullopt};
      } catch (...) {
        return OwnerLookup{std::nullopt, detail::current_exception_response()};
      }
    };
    return a;
  }

  Kind kind() const noexcept { return kind_; }
  const std::string& role_name() const noexcept { return role_; }
  bool admins_too() const noexcept { return admins_too_; }
  const ErasedOwnerLookup& owner_of() const noexcept { return owner_of_; }

 private:
  explicit Access(Kind kind) : kind_(kind) {}

  Kind kind_;
  std::string role_;
  bool admins_too_ = true;
  ErasedOwnerLookup owner_of_;
};

inline const Access Access::anonymous{Access::Kind::anonymous};
inline const Access Access::authenticated{Access::Kind::authenticated};
inline const Access Access::admin = Access::role("admin");

constexpr std::string_view to_string(Access::Kind kind) noexcept {
  switch (kind) {
    case Access::Kind::anonymous: return "anonymous";
    case Access::Kind::authenticated: return "authenticated";
    case Access::Kind::role: return "role";
    case Access::Kind::owner: return "owner";
  }
  return "owner";
}

// "anonymous", "authenticated", "role:creator", "owner" (as shown in the OpenAPI document).
inline std::string describe(const Access& access) {
  if (access.kind() == Access::Kind::role) return "role:" + access.role_name();
  return std::string(to_string(access.kind()));
}

}  // namespace lore::sdk::http
