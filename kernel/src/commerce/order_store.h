// Orders in lore_orders: a price snapshot, the buyer, the provider and the state machine
// pending -> paid -> fulfilled -> refunded, pending -> cancelled | expired. Every change of
// state is a conditional UPDATE inside the caller's transaction, so two processes (or a
// webhook and its duplicate) can never both move an order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/payments.h"

namespace lore {

using Order = sdk::payments::Order;

struct NewOrder {
  std::int64_t user_id = 0;
  std::int64_t course_id = 0;
  std::string title;
  sdk::courses::Price price;
  std::string provider;
  std::string status = "pending";
  std::int64_t expires_at_ms = 0;
};

class OrderStore {
 public:
  OrderStore(sdk::db::Database& database, const sdk::Clock& clock);

  Order create(sdk::db::Transaction& tx, const NewOrder& order);
  std::optional<Order> find(std::int64_t id);
  // Locks the row on MySQL, so the caller's transaction decides alone what happens to it.
  std::optional<Order> find_for_update(sdk::db::Transaction& tx, std::int64_t id);
  // The buyer of an order, read without a lock (to lock the buyer's row first).
  std::optional<std::int64_t> buyer_of(sdk::db::Transaction& tx, std::int64_t id);
  // Whether the user has a fulfilled order (or one being refunded, which still gives the
  // course) for the course other than `except_id`.
  bool other_fulfilled(sdk::db::Transaction& tx, std::int64_t user_id, std::int64_t course_id,
                       std::int64_t except_id);
  // The user's unexpired pending order for the course, if any (locks it on MySQL).
  std::optional<Order> open_order(sdk::db::Transaction& tx, std::int64_t user_id,
                                  std::int64_t course_id);
  // Moves the order to `to` if it is in one of `from`; false (nothing changed) otherwise.
  bool transition(sdk::db::Transaction& tx, std::int64_t id,
                  std::initializer_list<std::string_view> from, std::string_view to);
  // Claims the right to start the provider's checkout of a pending order that has none: one
  // request at a time, so one order never gets two live payment sessions. A claim older than
  // `stale_before_ms` (its request died) may be taken again. False: not claimed. One
  // conditional UPDATE, atomic on its own: no transaction around it (two round trips fewer).
  bool reserve_checkout(std::int64_t id, std::int64_t stale_before_ms);
  // Records the provider's checkout of a pending order; false when it is no longer pending.
  // One conditional UPDATE, like reserve_checkout.
  bool set_checkout(std::int64_t id, const sdk::payments::Checkout& checkout);
  // The checkout stored with the order, once the provider gave one.
  std::optional<sdk::payments::Checkout> checkout_of(std::int64_t id);
  // What of the order's money went back so far: the refunds recorded for it (lore_refunds),
  // those reported before its payment included.
  std::int64_t refunded(sdk::db::Transaction& tx, std::int64_t id);
  // fulfilled -> refunding, remembering the amount asked of the provider; false when the order
  // is not fulfilled (nothing changed).
  bool begin_refund(sdk::db::Transaction& tx, std::int64_t id, std::int64_t asked_minor);
  // What the kernel asked the provider to refund while the order is refunding (0: nothing).
  std::int64_t refund_asked(std::int64_t id);
  // Records a refund the provider confirmed, by its reference: false (nothing written) when
  // that refund was recorded already (reported twice, or by the kernel's request and again by
  // a webhook).
  bool note_refund(sdk::db::Transaction& tx, const std::string& provider,
                   const std::string& provider_ref, std::int64_t order_id,
                   const sdk::courses::Price& amount);
  // When the order was fulfilled (the start of the buyer's refund window), if it was.
  std::optional<std::int64_t> fulfilled_at(std::int64_t id);
  // Pending orders to ask their provider about (reconciliation): those past their expiry, and
  // those whose checkout was set, or that were last looked at, before `quiet_since_ms`. The
  // least recently looked at first, so that orders left waiting for a stopped provider do not
  // crowd out the others.
  std::vector<Order> to_reconcile(std::int64_t quiet_since_ms, int limit);
  // Orders in 'refunding' not looked at since `quiet_since_ms`, the least recently first.
  std::vector<Order> refunding_since(std::int64_t quiet_since_ms, int limit);
  // Marks the order looked at now (updated_at), without changing anything else.
  void touch(std::int64_t id);
  // The user's orders, newest first.
  std::vector<Order> of_user(std::int64_t user_id, int limit);

 private:
  // The orders matching `condition_and_order` (SQL after WHERE), at most `limit`.
  std::vector<Order> where(const std::string& condition_and_order, int limit,
                           const std::vector<sdk::db::Value>& params);

  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
