// People who use the site: learners, creators and admins. The kernel owns them (tables
// lore_users and lore_user_roles); how someone proves who they are is an auth plugin's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"

namespace lore {

inline constexpr std::string_view kRoles[] = {"admin", "creator", "learner"};

struct User {
  std::int64_t id = 0;
  std::string email;  // as entered
  std::string display_name;
  std::vector<std::string> roles;  // sorted
  std::string status;              // "active" or "suspended"
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;

  bool has_role(std::string_view role) const;
};

struct NewUser {
  std::string email;
  std::string display_name;
  std::vector<std::string> roles{"learner"};
};

class UserStore {
 public:
  UserStore(sdk::db::Database& database, const sdk::Clock& clock);

  // Validates and stores; throws AccountError (invalid_email, invalid_display_name,
  // invalid_role with the field, or duplicate_email). Runs in `tx` when given, so the caller
  // can write its own rows (a password hash) in the same transaction.
  User create(const NewUser& user, sdk::db::Transaction* tx = nullptr);
  std::optional<User> find(std::int64_t id);
  std::optional<User> find_by_email(std::string_view email);
  // Replaces the user's roles; throws AccountError(invalid_role) or (not_found).
  User set_roles(std::int64_t id, const std::vector<std::string>& roles);
  // "active" or "suspended" (which also revokes every session of the user); throws
  // AccountError(invalid_status) or (not_found).
  User set_status(std::int64_t id, std::string_view status);

  // The lower-case form two addresses are compared by, or nullopt when `email` is not a
  // plausible address (one @, a dot in the domain, no spaces or control characters, at most
  // 254 bytes, local part at most 64).
  static std::optional<std::string> email_key(std::string_view email);

 private:
  std::optional<User> load(sdk::db::Session& session, std::string_view where,
                           const sdk::db::Value& key);
  User found(std::int64_t id);  // find, or AccountError(not_found)

  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
