#include "commerce/order_store.h"

#include "storage/sql_text.h"

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
  // The first time only: a refund refused by the provider puts the order back to fulfilled,
  // and its refund window must not start again.
  if (to == "paid") {
    sql += ", paid_at = COALESCE(paid_at, ?)";
    params.emplace_back(now);
  } else if (to == "fulfilled") {
    sql += ", fulfilled_at = COALESCE(fulfilled_at, ?)";
    params.emplace_back(now);
  }
  sql += " WHERE id = ? AND status IN (" + sql_placeholders(from.size()) + ")";
  params.emplace_back(id);
  for (auto state : from) params.emplace_back(std::string(state));
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
          "SELECT id FROM lore_orders WHERE user_id = ? AND course_id = ? AND status IN "
          "('fulfilled', 'refunding') AND id <> ? LIMIT 1",
          {user_id, course_id, except_id})
      .has_value();
}

bool OrderStore::reserve_checkout(std::int64_t id, std::int64_t stale_before_ms) {
  return database_.session().execute(
             "UPDATE lore_orders SET checkout_kind = 'starting', updated_at = ? WHERE id = ? AND "
             "status = 'pending' AND (checkout_kind = '' OR (checkout_kind = 'starting' AND "
             "updated_at < ?))",
             {clock_.now_ms(), id, stale_before_ms}) > 0;
}

bool OrderStore::set_checkout(std::int64_t id, const sdk::payments::Checkout& checkout) {
  return database_.session().execute(
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

std::int64_t OrderStore::refunded(db::Transaction& tx, std::int64_t id) {
  // Summed here rather than by SUM(): MySQL's SUM is a DECIMAL, and an order has few refunds.
  std::int64_t total = 0;
  for (const auto& row : tx.query("SELECT amount_minor FROM lore_refunds WHERE order_id = ?", {id}))
    total += row.get<std::int64_t>("amount_minor");
  return total;
}

bool OrderStore::begin_refund(db::Transaction& tx, std::int64_t id, std::int64_t asked_minor) {
  return tx.execute(
             "UPDATE lore_orders SET status = 'refunding', refund_asked_minor = ?, updated_at = ? "
             "WHERE id = ? AND status = 'fulfilled'",
             {asked_minor, clock_.now_ms(), id}) > 0;
}

std::int64_t OrderStore::refund_asked(std::int64_t id) {
  auto session = database_.session();
  auto row = session.query_one("SELECT refund_asked_minor FROM lore_orders WHERE id = ?", {id});
  return row ? row->get<std::int64_t>("refund_asked_minor") : 0;
}

bool OrderStore::note_refund(db::Transaction& tx, const std::string& provider,
                             const std::string& provider_ref, std::int64_t order_id,
                             const sdk::courses::Price& amount) {
  return tx.try_insert(
      "INSERT INTO lore_refunds (provider, provider_ref, order_id, amount_minor, currency, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?)",
      {provider, provider_ref, order_id, amount.amount_minor, amount.currency, clock_.now_ms()});
}

std::optional<std::int64_t> OrderStore::fulfilled_at(std::int64_t id) {
  auto session = database_.session();
  auto row = session.query_one("SELECT fulfilled_at FROM lore_orders WHERE id = ?", {id});
  if (!row) return std::nullopt;
  return row->get_optional<std::int64_t>("fulfilled_at");
}

std::vector<Order> OrderStore::where(const std::string& condition_and_order, int limit,
                                     const std::vector<db::Value>& params) {
  auto session = database_.session();
  std::vector<Order> out;
  for (const auto& row :
       session.query(std::string("SELECT ") + kColumns + " FROM lore_orders WHERE " +
                         condition_and_order + " LIMIT " + std::to_string(limit),
                     params))
    out.push_back(order_of(row));
  return out;
}

std::vector<Order> OrderStore::to_reconcile(std::int64_t quiet_since_ms, int limit) {
  // A checkout being started ('starting', or none yet) has nothing to ask about before its
  // expiry; updated_at is when the checkout was set or the order last looked at.
  return where(
      "status = 'pending' AND (expires_at <= ? OR (checkout_kind NOT IN ('', 'starting') AND "
      "updated_at <= ?)) ORDER BY updated_at, id",
      limit, {clock_.now_ms(), quiet_since_ms});
}

std::vector<Order> OrderStore::refunding_since(std::int64_t quiet_since_ms, int limit) {
  return where("status = 'refunding' AND updated_at <= ? ORDER BY updated_at, id", limit,
               {quiet_since_ms});
}

void OrderStore::touch(std::int64_t id) {
  auto session = database_.session();
  session.execute("UPDATE lore_orders SET updated_at = ? WHERE id = ?", {clock_.now_ms(), id});
}

std::vector<Order> OrderStore::of_user(std::int64_t user_id, int limit) {
  return where("user_id = ? ORDER BY id DESC", limit, {user_id});
}

}  // namespace lore
