// The commerce routes: buying a course (an order and the provider's checkout), the buyer's
// orders and refunds, the payment providers' webhooks, and the revenue ledger (a creator's
// earnings, the whole ledger for admins).

#include <algorithm>
#include <map>

#include "commerce/commerce_service.h"
#include "core/kernel.h"
#include "core/route_input.h"
#include "events/outbox.h"
#include "lore/sdk/text.h"

namespace lore {

namespace sh = sdk::http;

namespace {

// The cursor of the page after a full one of newest-first entries: its last id.
nlohmann::json next_cursor(const std::vector<LedgerEntry>& entries, const Page& page) {
  if (static_cast<int>(entries.size()) < page.limit) return nullptr;
  return std::to_string(entries.back().id);
}

// ?limit= (1-200, default 50) and ?cursor= of a ledger listing, or a 400.
Page ledger_page(const sh::Request& request) {
  std::vector<sh::FieldError> errors;
  const auto page = page_of(request, 50, 200, errors);
  if (!errors.empty()) throw sh::invalid_fields(std::move(errors));
  return page;
}

}  // namespace

void Kernel::register_commerce_routes() {
  auto add = [&](sh::Method method, std::string path, std::string summary, sh::Access access,
                 std::string scope, auto handler) {
    add_api_route(method, std::move(path), std::move(summary), std::move(access), std::move(scope),
                  "commerce", handler);
  };
  CommerceService& commerce = *commerce_;

  add(sh::Method::post, "/api/v1/orders",
      "Buys a course: {course_id, provider} with an Idempotency-Key header -> 201 {order, "
      "checkout} (what the client does to pay: a redirect URL, a QR code or a client secret). "
      "A free course is granted at once (checkout null). Retrying with the same key replays the "
      "first answer; the same key with another body is a 422.",
      sh::Access::authenticated, "orders:write",
      [&commerce](const sh::Request& request) { return commerce.place_order(request); });

  add(sh::Method::get, "/api/v1/me/orders", "The caller's orders, newest first (at most 100).",
      sh::Access::authenticated, "orders:read", [&commerce](const sh::Request& request) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& order : commerce.orders().of_user(request.principal->user_id, 100))
          list.push_back(order);
        return sh::Response::json({{"orders", list}});
      });

  auto buyer_of_order = [&commerce](const sh::Request& request) -> std::optional<std::int64_t> {
    auto id = id_param(request, "order");
    if (!id) return std::nullopt;
    auto order = commerce.orders().find(*id);
    return order ? std::optional(order->user_id) : std::nullopt;
  };

  add(sh::Method::get, "/api/v1/orders/{order}",
      "One order with its checkout while it is pending: its buyer or an admin.",
      sh::Access::owner(buyer_of_order), "orders:read", [&commerce](const sh::Request& request) {
        auto order = commerce.orders().find(*id_param(request, "order"));
        if (!order) throw sh::Error(404, "not_found", "no such order");
        return sh::Response::json(commerce.view(*order));
      });

  add(sh::Method::post, "/api/v1/orders/{order}/refund",
      "Refunds what remains of a paid order through its provider: its buyer within the site's "
      "refund window (commerce.refund_window_days), or an admin. 200 when the provider confirmed "
      "it (the course is taken back, the ledger reversed), 202 while the provider has yet to "
      "confirm (status refunding; asking again changes nothing).",
      sh::Access::owner(buyer_of_order), "orders:write", [&commerce](const sh::Request& request) {
        return commerce.refund_order(request, *id_param(request, "order"));
      });

  add(sh::Method::get, "/api/v1/me/earnings",
      "The caller's share of their courses' sales per currency (earned, reversed by refunds, "
      "net) and their ledger entries, newest first; ?limit= (1-200, default 50), ?cursor=.",
      sh::Access::authenticated, "earnings:read", [&commerce](const sh::Request& request) {
        const auto page = ledger_page(request);
        const auto me = request.principal->user_id;
        nlohmann::json balances = nlohmann::json::array();
        for (const auto& e : commerce.ledger().earnings(me))
          balances.push_back({{"currency", e.currency},
                              {"earned_minor", e.earned_minor},
                              {"reversed_minor", e.reversed_minor},
                              {"net_minor", e.net_minor}});
        const auto entries = commerce.ledger().entries(me, page.after_id, page.limit);
        return sh::Response::json({{"earnings", balances},
                                   {"entries", entries},
                                   {"next_cursor", next_cursor(entries, page)}});
      });

  add(sh::Method::get, "/api/v1/admin/ledger",
      "The revenue ledger: each account's balance, the sum per currency (always zero), and the "
      "entries newest first; ?limit= (1-200, default 50), ?cursor=.",
      sh::Access::admin, "ledger:read", [&commerce](const sh::Request& request) {
        const auto page = ledger_page(request);
        nlohmann::json accounts = nlohmann::json::array();
        std::map<std::string, std::int64_t> totals;
        for (const auto& b : commerce.ledger().balances()) {
          accounts.push_back({{"account", b.account},
                              {"currency", b.currency},
                              {"balance_minor", b.balance_minor}});
          totals[b.currency] += b.balance_minor;
        }
        nlohmann::json sums = nlohmann::json::array();
        for (const auto& [currency, sum] : totals)
          sums.push_back({{"currency", currency}, {"sum_minor", sum}});
        const auto entries = commerce.ledger().entries(std::nullopt, page.after_id, page.limit);
        return sh::Response::json({{"accounts", accounts},
                                   {"totals", sums},
                                   {"entries", entries},
                                   {"next_cursor", next_cursor(entries, page)}});
      });

  Outbox& outbox = *outbox_;
  add(sh::Method::get, "/api/v1/admin/events",
      "The outbox: order.paid, order.refunded and entitlement.granted events, oldest first, each "
      "written by the transaction that made it true; for consumers that must not miss one. "
      "?cursor= (the last id seen; the answer's next_cursor), ?topic=, ?limit= (1-500, default "
      "100). Events show once they are 5 s old (see docs/payments.md).",
      sh::Access::admin, "events:read", [&outbox](const sh::Request& request) {
        std::vector<sh::FieldError> errors;
        const auto page = page_of(request, 100, 500, errors);
        const auto topic = request.query_param("topic").value_or("");
        const auto& topics = Outbox::topics();
        if (!topic.empty() && std::find(topics.begin(), topics.end(), topic) == topics.end())
          errors.push_back(
              {"topic", "unknown_topic", "topic is one of " + sdk::text::join(topics)});
        if (!errors.empty()) throw sh::invalid_fields(std::move(errors));
        const auto events = outbox.after(page.after_id, topic, page.limit);
        // The cursor moves past what was read, even an empty page keeps the one sent.
        const auto last = events.empty() ? page.after_id : events.back().id;
        return sh::Response::json({{"events", events}, {"next_cursor", std::to_string(last)}});
      });

  add(sh::Method::post, "/api/v1/payments/{provider}/webhook",
      "A payment provider's notification, verified by the provider's plugin (signature over the "
      "raw body); each event is applied once, whatever the provider repeats.",
      sh::Access::anonymous, "", [&commerce](const sh::Request& request) {
        return commerce.receive_webhook(request.param("provider"), request);
      });
}

}  // namespace lore
