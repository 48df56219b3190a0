#include "events/outbox.h"

namespace lore {

namespace db = sdk::db;

void to_json(nlohmann::json& out, const OutboxEvent& e) {
  out = {{"id", e.id},
         {"topic", e.topic},
         {"subject_id", e.subject_id},
         {"payload", e.payload},
         {"created_at", sdk::rfc3339(e.created_at_ms)}};
}

Outbox::Outbox(db::Database& database, const sdk::Clock& clock, HookBus& hooks)
    : database_(database), clock_(clock), hooks_(hooks) {}

const std::vector<std::string>& Outbox::topics() {
  static const std::vector<std::string> names{std::string(sdk::hooks::order_paid.name),
                                              std::string(sdk::hooks::order_refunded.name),
                                              std::string(sdk::hooks::entitlement_granted.name)};
  return names;
}

nlohmann::json Outbox::payload_json(const sdk::OrderPaid& e) { return {{"order", e.order}}; }

nlohmann::json Outbox::payload_json(const sdk::OrderRefunded& e) {
  return {{"order", e.order},
          {"last_refund",
           {{"amount_minor", e.last_refund.amount_minor}, {"currency", e.last_refund.currency}}},
          {"access_revoked", e.access_revoked}};
}

nlohmann::json Outbox::payload_json(const sdk::EntitlementGranted& e) {
  return {{"entitlement", e.entitlement}, {"order_id", e.order_id}};
}

void Outbox::add(db::Transaction& tx, std::string_view topic, std::int64_t subject_id,
                 const nlohmann::json& payload) {
  tx.execute("INSERT INTO lore_outbox (topic, subject_id, payload, created_at) VALUES (?, ?, ?, ?)",
             {std::string(topic), subject_id, payload.dump(), clock_.now_ms()});
}

std::vector<OutboxEvent> Outbox::after(std::int64_t after_id, const std::string& topic, int limit) {
  auto session = database_.session();
  std::string sql =
      "SELECT id, topic, subject_id, payload, created_at FROM lore_outbox WHERE id > ? AND "
      "created_at <= ?";
  std::vector<db::Value> params{after_id, clock_.now_ms() - kSettleMs};
  if (!topic.empty()) {
    sql += " AND topic = ?";
    params.emplace_back(topic);
  }
  sql += " ORDER BY id LIMIT " + std::to_string(limit);
  std::vector<OutboxEvent> out;
  for (const auto& row : session.query(sql, params)) {
    OutboxEvent e;
    e.id = row.get<std::int64_t>("id");
    e.topic = row.get<std::string>("topic");
    e.subject_id = row.get<std::int64_t>("subject_id");
    e.payload = nlohmann::json::parse(row.get<std::string>("payload"));
    e.created_at_ms = row.get<std::int64_t>("created_at");
    out.push_back(std::move(e));
  }
  return out;
}

std::int64_t Outbox::prune(std::int64_t before_ms) {
  auto session = database_.session();
  return session.execute("DELETE FROM lore_outbox WHERE created_at < ?", {before_ms});
}

}  // namespace lore
