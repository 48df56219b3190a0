#include "accounts/user_store.h"

#include <algorithm>
#include <cstdint>

#include "accounts/account_error.h"
#include "core/utf8.h"

namespace lore {

namespace db = sdk::db;

namespace {

std::vector<std::string> checked_roles(std::vector<std::string> roles) {
  if (roles.empty()) throw AccountError("invalid_role", "roles", "a user holds at least one role");
  for (const auto& role : roles)
    if (std::find(std::begin(kRoles), std::end(kRoles), role) == std::end(kRoles))
      throw AccountError("invalid_role", "roles",
                         "unknown role '" + role + "' (known: admin, creator, learner)");
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

std::string checked_display_name(std::string_view name) {
  std::string trimmed(name);
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
  while (!trimmed.empty() && trimmed.front() == ' ') trimmed.erase(trimmed.begin());
  if (trimmed.empty() || trimmed.size() > 100)
    throw AccountError("invalid_display_name", "display_name",
                       "display_name must be 1 to 100 bytes");
  for (unsigned char c : trimmed)
    if (c < 0x20 || c == 0x7f)
      throw AccountError("invalid_display_name", "display_name",
                         "display_name may not contain control characters");
  if (!is_utf8(trimmed))
    throw AccountError("invalid_display_name", "display_name", "display_name is not UTF-8");
  return trimmed;
}

// Inserts only: a DELETE that finds nothing takes a gap lock on InnoDB, and two sign-ups at
// once would deadlock on each other's.
void insert_roles(db::Transaction& tx, std::int64_t id, const std::vector<std::string>& roles,
                  std::int64_t now) {
  for (const auto& role : roles)
    tx.execute("INSERT INTO lore_user_roles (user_id, role, granted_at) VALUES (?, ?, ?)",
               {id, role, now});
}

}  // namespace

bool User::has_role(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

UserStore::UserStore(db::Database& database, const sdk::Clock& clock)
    : database_(database), clock_(clock) {}

std::optional<std::string> UserStore::email_key(std::string_view email) {
  if (email.empty() || email.size() > 254 || !is_utf8(email)) return std::nullopt;
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 ||
      email.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  const auto domain = email.substr(at + 1);
  const auto dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.')
    return std::nullopt;
  std::string key;
  key.reserve(email.size());
  for (unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
    key += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  }
  return key;
}

User UserStore::create(const NewUser& user, db::Transaction* outer) {
  const auto key = email_key(user.email);
  if (!key) throw AccountError("invalid_email", "email", "email is not a valid address");
  const auto name = checked_display_name(user.display_name);
  const auto roles = checked_roles(user.roles);
  const auto now = clock_.now_ms();
  auto write = [&](db::Transaction& tx) {
    std::int64_t id = 0;
    try {
      id = tx.insert(
          "INSERT INTO lore_users (email, email_key, display_name, status, created_at, "
          "updated_at) VALUES (?, ?, ?, 'active', ?, ?)",
          {user.email, *key, name, now, now});
    } catch (const db::Error& e) {
      if (e.kind() == db::ErrorKind::duplicate)
        throw AccountError("duplicate_email", "email", "an account with this email exists");
      throw;
    }
    insert_roles(tx, id, roles, now);
    return User{id, user.email, name, roles, "active", now, now};
  };
  if (outer != nullptr) return write(*outer);
  return database_.transact(write);
}

std::optional<User> UserStore::load(db::Session& session, std::string_view where,
                                    const db::Value& key) {
  auto row = session.query_one(
      "SELECT id, email, display_name, status, created_at, updated_at FROM lore_users WHERE " +
          std::string(where) + " = ?",
      {key});
  if (!row) return std::nullopt;
  User user{row->get<std::int64_t>("id"),          row->get<std::string>("email"),
            row->get<std::string>("display_name"), {},
            row->get<std::string>("status"),       row->get<std::int64_t>("created_at"),
            row->get<std::int64_t>("updated_at")};
  for (const auto& r :
       session.query("SELECT role FROM lore_user_roles WHERE user_id = ? ORDER BY role", {user.id}))
    user.roles.push_back(r.get<std::string>("role"));
  return user;
}

std::optional<User> UserStore::find(std::int64_t id) {
  auto session = database_.session();
  return load(session, "id", id);
}

std::optional<User> UserStore::find_by_email(std::string_view email) {
  const auto key = email_key(email);
  if (!key) return std::nullopt;
  auto session = database_.session();
  return load(session, "email_key", *key);
}

User UserStore::set_roles(std::int64_t id, const std::vector<std::string>& roles) {
  const auto checked = checked_roles(roles);
  const auto now = clock_.now_ms();
  database_.transact([&](db::Transaction& tx) {
    if (tx.execute("UPDATE lore_users SET updated_at = ? WHERE id = ?", {now, id}) == 0)
      throw AccountError("not_found", "", "no user " + std::to_string(id));
    tx.execute("DELETE FROM lore_user_roles WHERE user_id = ?", {id});
    insert_roles(tx, id, checked, now);
  });
  return found(id);
}

User UserStore::set_status(std::int64_t id, std::string_view status) {
  if (status != "active" && status != "suspended")
    throw AccountError("invalid_status", "status", "status is 'active' or 'suspended'");
  const auto now = clock_.now_ms();
  database_.transact([&](db::Transaction& tx) {
    if (tx.execute("UPDATE lore_users SET status = ?, updated_at = ? WHERE id = ?",
                   {status, now, id}) == 0)
      throw AccountError("not_found", "", "no user " + std::to_string(id));
    // A suspended user is signed out everywhere at once, in the same transaction.
    if (status == "suspended")
      tx.execute("UPDATE lore_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                 {now, id});
  });
  return found(id);
}

User UserStore::found(std::int64_t id) {
  auto user = find(id);
  if (!user) throw AccountError("not_found", "", "no user " + std::to_string(id));
  return *user;
}

}  // namespace lore
