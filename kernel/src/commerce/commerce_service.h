// Purchases: placing an order (idempotently), handing it to a payment provider's checkout, and
// settling it from the provider's verified events, each processed once, with the entitlement
// granted in the same transaction as the order's payment.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog_service.h"
#include "commerce/idempotency_store.h"
#include "commerce/order_store.h"
#include "commerce/revenue_ledger.h"
#include "config/kernel_config.h"
#include "core/service_registry.h"
#include "events/outbox.h"
#include "lore/sdk/http.h"
#include "lore/sdk/payments.h"

namespace lore {

class CommerceService {
 public:
  // `installed(name)`: whether an installed plugin (running or not) provides the payment
  // provider `name`, to tell a stopped provider (503, retry) from a wrong URL (404).
  CommerceService(sdk::db::Database& database, const sdk::Clock& clock,
                  const ServiceRegistry& services, CatalogService& catalog, Outbox& outbox,
                  const CommerceConfig& config, std::function<bool(const std::string&)> installed);

  OrderStore& orders() noexcept { return orders_; }
  RevenueLedger& ledger() noexcept { return ledger_; }

  // POST /api/v1/orders {course_id, provider} with an Idempotency-Key header: 201 {order,
  // checkout} (checkout null for a free course, which is granted at once), 200 with the open
  // order when the buyer has one for the course already; 409 already_owned, not_for_sale...
  sdk::http::Response place_order(const sdk::http::Request& request);
  // POST /api/v1/payments/{provider}/webhook: the provider verifies; each event is applied once.
  sdk::http::Response receive_webhook(const std::string& provider,
                                      const sdk::http::Request& request);
  // POST /api/v1/orders/{order}/refund: the whole of what remains of a fulfilled order's money
  // goes back through its provider (the buyer within the refund window, or an admin). 200 once
  // the provider confirmed it (the course is taken back, the ledger reversed), 202 while the
  // provider has yet to confirm (the order is "refunding").
  sdk::http::Response refund_order(const sdk::http::Request& request, std::int64_t order_id);
  // The scheduler's reconciliation pass: each pending order past its expiry, or whose checkout
  // started minutes ago without news, is looked up at its provider. A payment the webhooks
  // never brought is applied like one; an order past its expiry that is not paid expires; an
  // order whose provider is not running waits for it (a week at most, then it expires). Refunds
  // left unconfirmed for minutes are asked for again (the same refund id: refunded once).
  struct Reconciled {
    int asked = 0;
    int settled = 0;
    int expired = 0;
    int waiting = 0;
  };
  Reconciled reconcile(int limit);
  IdempotencyStore& keys() noexcept { return keys_; }
  // {order, checkout}: an order as its buyer sees it.
  nlohmann::json view(const Order& order);

  // Names of the running payment providers, sorted.
  std::vector<std::string> provider_names() const;

 private:
  // What applying one event did, recorded with it ("fulfilled", "unknown_order",
  // "amount_mismatch"...), or "duplicate" (not recorded again) for an event seen before.
  std::string apply_event(const std::string& provider, const sdk::payments::PaymentEvent& event);
  std::shared_ptr<sdk::payments::PaymentProvider> provider(const std::string& name) const;
  // Sets `ordered` once an order exists for the request (from then on its idempotency claim is
  // kept even if the request fails).
  sdk::http::Response create_order(const sdk::http::Request& request, bool& ordered);
  std::string settle(sdk::db::Transaction& tx, const std::string& provider,
                     const sdk::payments::PaymentEvent& event);
  struct RefundStep {
    enum class Kind {
      settled,  // confirmed and applied: the order is refunded
      // Refunding still: the provider confirms later (its `refunded` event), could not be
      // reached, or confirmed what the kernel cannot apply (`message` says which); asked again
      // by reconciliation.
      pending,
      refused,  // nothing went back; the order is fulfilled again
    };
    Kind kind = Kind::pending;
    std::string reference;
    std::string outcome;
    std::string message;
  };
  // Asks the provider to refund `amount_minor` of a refunding order (the refund id
  // lore-refund-<order>) and applies what it answers.
  RefundStep ask_for_refund(sdk::payments::PaymentProvider& provider, const Order& order,
                            std::int64_t amount_minor);
  // Orders left refunding (the process died after asking, or the provider's answer is late):
  // the provider is asked again with the same refund id. Returns how many settled.
  std::int64_t ask_again_for_refunds(int limit, std::chrono::steady_clock::time_point deadline);
  std::string fulfil(sdk::db::Transaction& tx, const Order& order);
  std::string settle_refund(sdk::db::Transaction& tx, const std::string& provider,
                            const Order& order, const sdk::payments::PaymentEvent& event);

  sdk::db::Database& database_;
  const sdk::Clock& clock_;
  const ServiceRegistry& services_;
  CatalogService& catalog_;
  Outbox& outbox_;
  CommerceConfig config_;
  OrderStore orders_;
  IdempotencyStore keys_;
  RevenueLedger ledger_;
  std::function<bool(const std::string&)> installed_;
};

}  // namespace lore
