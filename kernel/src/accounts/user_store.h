// People who use the site: learners, creators and admins. The kernel owns them (tables
// lore_users and lore_user_roles); how someone proves who they are is an auth plugin's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/accounts.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/http.h"

namespace lore {

inline constexpr std::string_view kRoles[] = {"admin", "creator", "learner"};

// The SDK's view of a user is the kernel's: one type, no conversions.
using User = sdk::accounts::User;

struct NewUser {
  std::string email;
  std::string display_name;
  std::vector<std::string> roles{"learner"};
};

// A page of users for the admin list: filters, and a cursor (the last id seen).
struct UserQuery {
  std::string email_prefix;  // matched against the lower-case email
  std::string role;
  std::string status;
  std::int64_t after_id = 0;
  int limit = 50;
};

class UserStore {
 public:
  UserStore(sdk::db::Database& database, const sdk::Clock& clock);

  // Validates and stores; throws AccountError (invalid_email, invalid_display_name,
  // invalid_role with the field, or duplicate_email). Runs in `tx` when given, so the caller
  // can write its own rows (a password hash) in the same transaction.
  User create(const NewUser& user, sdk::db::Transaction* tx = nullptr);
  // Every problem with `user`'s fields (email, display_name, roles), none when it can be stored
  // (a duplicate email is found only by storing).
  static std::vector<sdk::http::FieldError> check(const NewUser& user);
  // Users matching `query`, by id, at most query.limit.
  std::vector<User> list(const UserQuery& query);
  std::optional<User> find(std::int64_t id);
  std::optional<User> find(std::int64_t id, sdk::db::Transaction& tx);
  std::optional<User> find_by_email(std::string_view email);
  // Replaces the user's roles; throws AccountError(invalid_role), (not_found), or
  // (last_admin) when it would leave the site without an active admin.
  User set_roles(std::int64_t id, const std::vector<std::string>& roles);
  // "active" or "suspended" (which also revokes every session of the user); throws
  // AccountError(invalid_status), (not_found) or (last_admin).
  User set_status(std::int64_t id, std::string_view status);

  // The lower-case form two addresses are compared by, or nullopt when `email` is not a
  // plausible address (one @, a dot in the domain, no spaces or control characters, at most
  // 254 bytes, local part at most 64).
  static std::optional<std::string> email_key(std::string_view email);

 private:
  User found(std::int64_t id);  // find, or AccountError(not_found)
  // Throws AccountError(last_admin) unless an active admin other than `id` exists. Locks what it
  // reads on MySQL, so two admins demoting each other at once cannot both succeed.
  static void keep_an_admin(sdk::db::Transaction& tx, std::int64_t id);
  // Roles of `ids`, loaded in one query.
  static void load_roles(sdk::db::Session& session, std::vector<User>& users);

  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
