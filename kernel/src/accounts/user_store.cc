#include "accounts/user_store.h"

#include <algorithm>
#include <cstdint>

#include "accounts/account_error.h"
#include "core/utf8.h"
#include "lore/sdk/text.h"

namespace lore {

namespace db = sdk::db;

namespace {

std::optional<std::string> role_problem(const std::vector<std::string>& roles) {
  if (roles.empty()) return "a user holds at least one role";
  for (const auto& role : roles)
    if (std::find(std::begin(kRoles), std::end(kRoles), role) == std::end(kRoles))
      return "unknown role '" + role + "' (known: admin, creator, learner)";
  return std::nullopt;
}

std::vector<std::string> checked_roles(std::vector<std::string> roles) {
  if (auto problem = role_problem(roles)) throw AccountError("invalid_role", "roles", *problem);
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

std::optional<std::string> display_name_problem(std::string_view name) {
  const auto t = std::string(sdk::text::trim_spaces(name));
  if (t.empty() || t.size() > 100) return "display_name must be 1 to 100 bytes";
  for (unsigned char c : t)
    if (c < 0x20 || c == 0x7f) return "display_name may not contain control characters";
  if (!is_utf8(t)) return "display_name is not UTF-8";
  return std::nullopt;
}

// One user with their roles, read through a session or within a transaction.
template <class Reader>
std::optional<User> load_user(Reader& reader, std::string_view where, const db::Value& key) {
  const std::optional<db::Row> row = reader.query_one(
      "SELECT id, email, display_name, status, created_at, updated_at FROM lore_users WHERE " +
          std::string(where) + " = ?",
      {key});
  if (!row) return std::nullopt;
  User user{row->get<std::int64_t>("id"),          row->get<std::string>("email"),
            row->get<std::string>("display_name"), {},
            row->get<std::string>("status"),       row->get<std::int64_t>("created_at"),
            row->get<std::int64_t>("updated_at")};
  const db::Result roles =
      reader.query("SELECT role FROM lore_user_roles WHERE user_id = ? ORDER BY role", {user.id});
  for (const db::Row& r : roles) user.roles.push_back(r.get<std::string>("role"));
  return user;
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
  for (unsigned char c : email)
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
  return sdk::text::ascii_lower(email);
}

std::vector<sdk::http::FieldError> UserStore::check(const NewUser& user) {
  std::vector<sdk::http::FieldError> problems;
  if (!email_key(user.email))
    problems.push_back({"email", "invalid_email", "email is not a valid address"});
  if (auto problem = display_name_problem(user.display_name))
    problems.push_back({"display_name", "invalid_display_name", *problem});
  if (auto problem = role_problem(user.roles))
    problems.push_back({"roles", "invalid_role", *problem});
  return problems;
}

User UserStore::create(const NewUser& user, db::Transaction* outer) {
  if (auto problems = check(user); !problems.empty()) {
    if (problems.size() == 1)
      throw AccountError(problems[0].code, problems[0].field, problems[0].message);
    throw AccountError(std::move(problems));
  }
  const auto key = email_key(user.email);
  const auto name = std::string(sdk::text::trim_spaces(user.display_name));
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

void UserStore::load_roles(db::Session& session, std::vector<User>& users) {
  if (users.empty()) return;
  std::string sql = "SELECT user_id, role FROM lore_user_roles WHERE user_id IN (";
  std::vector<db::Value> ids;
  for (std::size_t i = 0; i < users.size(); ++i) {
    sql += i ? ", ?" : "?";
    ids.emplace_back(users[i].id);
  }
  sql += ") ORDER BY user_id, role";
  std::size_t at = 0;  // both lists are ordered by id
  for (const auto& r : session.query(sql, ids)) {
    const auto user_id = r.get<std::int64_t>("user_id");
    while (at < users.size() && users[at].id != user_id) ++at;
    if (at < users.size()) users[at].roles.push_back(r.get<std::string>("role"));
  }
}

std::vector<User> UserStore::list(const UserQuery& query) {
  std::string sql =
      "SELECT id, email, display_name, status, created_at, updated_at FROM lore_users u WHERE "
      "id > ?";
  std::vector<db::Value> params{query.after_id};
  if (!query.email_prefix.empty()) {
    // A prefix match on the indexed key; LIKE's wildcards in the prefix are escaped.
    std::string pattern;
    for (char c : sdk::text::ascii_lower(query.email_prefix)) {
      if (c == '%' || c == '_' || c == '!') pattern += '!';
      pattern += c;
    }
    sql += " AND email_key LIKE ? ESCAPE '!'";
    params.emplace_back(pattern + "%");
  }
  if (!query.status.empty()) {
    sql += " AND status = ?";
    params.emplace_back(query.status);
  }
  if (!query.role.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM lore_user_roles r WHERE r.user_id = u.id AND r.role = ?)";
    params.emplace_back(query.role);
  }
  sql += " ORDER BY id LIMIT " + std::to_string(std::clamp(query.limit, 1, 1000));
  auto session = database_.session();
  std::vector<User> users;
  for (const auto& row : session.query(sql, params))
    users.push_back(User{row.get<std::int64_t>("id"),
                         row.get<std::string>("email"),
                         row.get<std::string>("display_name"),
                         {},
                         row.get<std::string>("status"),
                         row.get<std::int64_t>("created_at"),
                         row.get<std::int64_t>("updated_at")});
  load_roles(session, users);
  return users;
}

void UserStore::keep_an_admin(db::Transaction& tx, std::int64_t id) {
  const std::string lock(db::row_lock(tx.dialect()));
  if (tx.query("SELECT u.id AS id FROM lore_users u JOIN lore_user_roles r ON r.user_id = u.id "
               "WHERE r.role = 'admin' AND u.status = 'active' AND u.id = ?" +
                   lock,
               {id})
          .empty())
    return;  // not an active admin: nothing to keep
  std::string sql =
      "SELECT u.id AS id FROM lore_users u JOIN lore_user_roles r ON r.user_id = u.id WHERE "
      "r.role = 'admin' AND u.status = 'active' AND u.id <> ?";
  if (tx.query(sql + lock, {id}).empty())
    throw AccountError("last_admin", "",
                       "this would leave the site without an active admin; make someone else "
                       "an admin first");
}

std::optional<User> UserStore::find(std::int64_t id) {
  auto session = database_.session();
  return load_user(session, "id", id);
}

std::optional<User> UserStore::find(std::int64_t id, db::Transaction& tx) {
  return load_user(tx, "id", id);
}

std::optional<User> UserStore::find_by_email(std::string_view email) {
  const auto key = email_key(email);
  if (!key) return std::nullopt;
  auto session = database_.session();
  return load_user(session, "email_key", *key);
}

User UserStore::set_roles(std::int64_t id, const std::vector<std::string>& roles) {
  const auto checked = checked_roles(roles);
  const auto now = clock_.now_ms();
  database_.transact([&](db::Transaction& tx) {
    if (tx.execute("UPDATE lore_users SET updated_at = ? WHERE id = ?", {now, id}) == 0)
      throw AccountError("not_found", "", "no user " + std::to_string(id));
    if (std::find(checked.begin(), checked.end(), "admin") == checked.end()) keep_an_admin(tx, id);
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
    // Before the update: afterwards the user no longer looks like an active admin.
    if (status == "suspended") keep_an_admin(tx, id);
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
