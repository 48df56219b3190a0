#include "commerce/order_store.h"

namespace lore {

namespace db = sdk::db;

namespace {

constexpr const char* kColumns =
    "id, user_id, course_id, title, amount_minor, currency, provider, status, provider_ref, "
    "created_at, expires_at";

Order order_of(const db::Row& row) {
  Order o;
  o.id = row.get<std::int64_t>("id");
  o.user_id = row.get<std::int64_t>("user_id");
  o.course_id = row.get<std::int64_t>("course_id");
  o.title = row.get<std::string>("title");
  o.price = {row.get<std::int64_t>("amount_minor"), row.get<std::string>("currency")};
  o.provider = row.get<std::string>("provider");
  o.status = row.get<std::string>("status");
  o.provider_ref = row.get<std::string>("provider_ref");
  o.created_at_ms = row.get<std::int64_t>("created_at");
  o.expires_at_ms = row.get<std::int64_t>("expires_at");
  return o;
}

std::string lock(const db::Transaction& tx) { return std::string(db::row_lock(tx.dialect())); }

}  // namespace

OrderStore::OrderStore(db::Database& database, const sdk::Clock& clock)
    : database_(database), clock_(clock) {}

Order OrderStore::create(db::Transaction& tx, const NewOrder& order) {
  const auto now = clock_.now_ms();
  const bool settled = order.status == "fulfilled";
  const auto id = tx.insert(
      "INSERT INTO lore_orders (user_id, course_id, title, amount_minor, currency, provider, "
      "status, provider_ref, checkout_kind, checkout_value, created_at, updated_at, expires_at, "
      "paid_at, fulfilled_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?, ?, ?, ?)",
      {order.user_id, order.course_id, order.title, order.price.amount_minor, order.price.currency,
       order.provider, order.status, now, now, order.expires_at_ms,
       settled ? db::Value(now) : db::Value(nullptr),
       settled ? db::Value(now) : db::Value(nullptr)});
  auto row =
      tx.query_one(std::string("SELECT ") + kColumns + " FROM lore_orders WHERE id = ?", {id});
  return order_of(*row);
}

std::optional<Order> OrderStore::find(std::int64_t id) {
  auto session = database_.session();
  auto row =
      session.query_one(std::string("SELECT ") + kColumns + " FROM lore_orders WHERE id = ?", {id});
  if (!row) return std::nullopt;
  return order_of(*row);
}

std::optional<Order> OrderStore::find_for_update(db::Transaction& tx, std::int64_t id) {
  auto row = tx.query_one(
      std::string("SELECT ") + kColumns + " FROM lore_orders WHERE id = ?" + lock(tx), {id});
  if (!row) return std::nullopt;
  return order_of(*row);
}

std::optional<Order> OrderStore::open_order(db::Transaction& tx, std::int64_t user_id,
                                            std::int64_t course_id) {
  auto row = tx.query_one(std::string("SELECT ") + kColumns +
                              " FROM lore_orders WHERE user_id = ? AND course_id = ? AND "
                              "status = 'pending' AND expires_at > ? ORDER BY id DESC LIMIT 1" +
                              lock(tx),
                          {user_id, course_id, clock_.now_ms()});
  if (!row) return std::nullopt;
  return order_of(*row);
}

bool OrderStore::transition(db::Transaction& tx, std::int64_t id,
                            std::initializer_list<std::string_view> from, std::string_view to) {
  const auto now = clock_.now_ms();
  std::string sql = "UPDATE lore_orders SET status = ?, updated_at = ?";
  std::vector<db::Value> params{std::string(to), now};
  if (to == "paid") {
    sql += ", paid_at = ?";
    params.emplace_back(now);
  } else if (to == "fulfilled") {
    sql += ", fulfilled_at = ?";
    params.emplace_back(now);
  }
  sql += " WHERE id = ? AND status IN (";
  params.emplace_back(id);
  bool first = true;
  for (auto state : from) {
    sql += first ? "?" : ", ?";
    first = false;
    params.emplace_back(std::string(state));
  }
  sql += ")";
  return tx.execute(sql, params) > 0;
}

std::optional<std::int64_t> OrderStore::buyer_of(db::Transaction& tx, std::int64_t id) {
  auto row = tx.query_one("SELECT user_id FROM lore_orders WHERE id = ?", {id});
  if (!row) return std::nullopt;
  return row->get<std::int64_t>("user_id");
}

bool OrderStore::other_fulfilled(db::Transaction& tx, std::int64_t user_id, std::int64_t course_id,
                                 std::int64_t except_id) {
  return tx
      .query_one(
          "SELECT id FROM lore_orders WHERE user_id = ? AND course_id = ? AND status = "
          "'fulfilled' AND id <> ? LIMIT 1",
          {user_id, course_id, except_id})
      .has_value();
}

bool OrderStore::reserve_checkout(db::Transaction& tx, std::int64_t id,
                                  std::int64_t stale_before_ms) {
  return tx.execute(
             "UPDATE lore_orders SET checkout_kind = 'starting', updated_at = ? WHERE id = ? AND "
             "status = 'pending' AND (checkout_kind = '' OR (checkout_kind = 'starting' AND "
             "updated_at < ?))",
             {clock_.now_ms(), id, stale_before_ms}) > 0;
}

bool OrderStore::set_checkout(db::Transaction& tx, std::int64_t id,
                              const sdk::payments::Checkout& checkout) {
  return tx.execute(
             "UPDATE lore_orders SET checkout_kind = ?, checkout_value = ?, provider_ref = ?, "
             "updated_at = ? WHERE id = ? AND status = 'pending'",
             {checkout.kind, checkout.value, checkout.provider_ref, clock_.now_ms(), id}) > 0;
}

std::optional<sdk::payments::Checkout> OrderStore::checkout_of(std::int64_t id) {
  auto session = database_.session();
  auto row = session.query_one(
      "SELECT checkout_kind, checkout_value, provider_ref FROM lore_orders WHERE id = ?", {id});
  if (!row || row->get<std::string>("checkout_kind").empty() ||
      row->get<std::string>("checkout_kind") == "starting")
    return std::nullopt;
  return sdk::payments::Checkout{row->get<std::string>("checkout_kind"),
                                 row->get<std::string>("checkout_value"),
                                 row->get<std::string>("provider_ref")};
}

std::vector<Order> OrderStore::of_user(std::int64_t user_id, int limit) {
  auto session = database_.session();
  std::vector<Order> out;
  for (const auto& row : session.query(std::string("SELECT ") + kColumns +
                                           " FROM lore_orders WHERE user_id = ? ORDER BY id DESC "
                                           "LIMIT " +
                                           std::to_string(limit),
                                       {user_id}))
    out.push_back(order_of(row));
  return out;
}

}  // namespace lore
