// The transactional outbox (lore_outbox): events consumers must never miss, written by the
// transaction that makes them true and read with a cursor (their id). publish() is how the
// kernel announces such an event: the row in the transaction, the hook of the same name after
// its commit.
//
// Ids come from the database's counter when the row is inserted, but transactions commit in
// their own order: a row can become visible after a row with a higher id. Readers therefore see
// only rows older than a settling delay (`kSettleMs`), and the kernel inserts outbox rows at the
// end of short transactions, so that a cursor never skips a row committed late.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hooks/hook_bus.h"
#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"
#include "lore/sdk/hooks.h"

namespace lore {

struct OutboxEvent {
  std::int64_t id = 0;
  std::string topic;            // "order.paid", "order.refunded", "entitlement.granted"
  std::int64_t subject_id = 0;  // the order's id, or the entitlement's
  nlohmann::json payload;
  std::int64_t created_at_ms = 0;
};
void to_json(nlohmann::json& out, const OutboxEvent& e);

class Outbox {
 public:
  // How old a row must be before readers see it: longer than any kernel transaction that
  // writes one takes between its insert and its commit.
  static constexpr std::int64_t kSettleMs = 5000;

  Outbox(sdk::db::Database& database, const sdk::Clock& clock, HookBus& hooks);

  // The event `hook` of `subject_id` (an order's id, an entitlement's): recorded in `tx`, whose
  // commit makes it true, and fired to the hook's listeners after that commit.
  template <class P>
  void publish(sdk::db::Transaction& tx, const sdk::Action<P>& hook, std::int64_t subject_id,
               P payload) {
    add(tx, hook.name, subject_id, payload_json(payload));
    tx.after_commit([this, &hook, payload = std::move(payload)] { hooks_.fire(hook, payload); });
  }
  // The topics (hook names) the outbox records.
  static const std::vector<std::string>& topics();

  // In the transaction whose commit makes the event true.
  void add(sdk::db::Transaction& tx, std::string_view topic, std::int64_t subject_id,
           const nlohmann::json& payload);
  // Events with ids above `after_id`, oldest first, settled; `topic` empty: every topic.
  std::vector<OutboxEvent> after(std::int64_t after_id, const std::string& topic, int limit);
  // Forgets events older than `before_ms`. Returns how many.
  std::int64_t prune(std::int64_t before_ms);

 private:
  // Each event's payload as the outbox keeps it.
  static nlohmann::json payload_json(const sdk::OrderPaid& e);
  static nlohmann::json payload_json(const sdk::OrderRefunded& e);
  static nlohmann::json payload_json(const sdk::EntitlementGranted& e);

  sdk::db::Database& database_;
  const sdk::Clock& clock_;
  HookBus& hooks_;
};

}  // namespace lore
