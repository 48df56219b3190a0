// The payment-provider interface: what a plugin provides to take money through a payment
// service (a sandbox, Stripe, Alipay...). The kernel owns orders, their state machine, the
// idempotency of every request, deduplication of provider events, fulfilment (the entitlement)
// and the ledger; a provider only speaks its service's protocol: it starts a checkout, turns a
// webhook's raw bytes into verified events, answers what a payment's state is, and refunds.
//
// Provide one with `ctx.services().provide<payments::PaymentProvider>("sandbox",
// std::make_shared<T>())` where T derives from PaymentProviderBase (below). The provided name
// is the `provider` clients name in POST /api/v1/orders and the {provider} of the webhook URL
// /api/v1/payments/{provider}/webhook. Secrets come from the plugin's settings; never log them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/courses.h"
#include "lore/sdk/handler_guard.h"
#include "lore/sdk/http.h"

namespace lore::sdk::payments {

// An order as providers see it. `price` is the snapshot taken when the order was placed: the
// amount to charge, whatever the course costs now.
struct Order {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t course_id = 0;
  std::string title;  // what is bought, for the provider's page ("SQL for product managers")
  courses::Price price;
  std::string provider;
  // pending → paid → fulfilled → refunded; pending → cancelled | expired
  std::string status;
  std::string provider_ref;  // the provider's id of the payment, once it gave one
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;  // unpaid by then: expired
};

// How the API shows an order.
inline void to_json(nlohmann::json& out, const Order& o) {
  out = {{"id", o.id},
         {"user_id", o.user_id},
         {"course_id", o.course_id},
         {"title", o.title},
         {"price", {{"amount_minor", o.price.amount_minor}, {"currency", o.price.currency}}},
         {"provider", o.provider},
         {"status", o.status},
         {"created_at", rfc3339(o.created_at_ms)},
         {"expires_at", rfc3339(o.expires_at_ms)}};
}

// What the client does to pay: follow a URL, show a QR code, or hand a secret to the
// provider's client library.
struct Checkout {
  std::string kind;          // "redirect", "qr_code" or "client_secret"
  std::string value;         // the URL, the QR code's payload or the client secret
  std::string provider_ref;  // the provider's id for this payment (a session id...)
};

// One verified fact from the provider.
struct PaymentEvent {
  enum class Kind {
    paid,      // the order's money arrived
    failed,    // the payment failed or was abandoned: the order stays payable until it expires
    refunded,  // (some of) the order's money went back
    other,     // anything else the provider tells: recorded, nothing changes
  };
  std::string id;  // the provider's event id: each is processed once, however often it comes
  Kind kind = Kind::other;
  std::int64_t order_id = 0;  // the kernel's order id the provider echoes back; 0: none
  courses::Price amount;      // what the provider says moved
  std::string provider_ref;   // the payment's (or refund's) id at the provider
  std::string summary;        // for the log: "checkout.session.completed cs_123"
};

// A webhook after verification: the events it carries and what to answer the provider once
// they are durably recorded (Alipay wants the body `success`, Stripe any 2xx).
struct Webhook {
  std::vector<PaymentEvent> events;
  http::Response acknowledgement = http::Response::text("ok");
};

// What the provider says of an order's payment now (for reconciliation).
struct PaymentState {
  enum class Kind { pending, paid, failed, unknown };
  Kind kind = Kind::unknown;
  courses::Price amount;
  std::string provider_ref;
  std::string event_id;  // a stable id for this fact ("query:<payment id>"), deduplicated like
                         // a webhook event
};

struct RefundRequest {
  const Order& order;
  courses::Price amount;  // at most what was paid
  std::string refund_id;  // the kernel's id: sent as the provider's idempotency key
};

struct RefundResult {
  enum class Kind { succeeded, pending, failed };
  Kind kind = Kind::pending;  // pending: a `refunded` event will follow
  std::string provider_ref;
  std::string message;  // why it failed, for the caller
};

// The answer a call gives instead of its result when it fails: a 401 for a webhook that does
// not verify, a 502 when the provider cannot be reached...
using Failure = std::optional<http::Response>;

// The boundary the kernel calls. Nothing crosses it as an exception: implement
// PaymentProviderBase instead.
class PaymentProvider {
 public:
  static constexpr std::string_view kServiceKind = "payment.provider";
  virtual ~PaymentProvider() = default;

  virtual std::string_view description() const noexcept = 0;
  virtual Failure create_checkout(const Order& order, Checkout& out) noexcept = 0;
  // `request` is the webhook exactly as received: verify its signature over the raw body
  // before believing anything in it.
  virtual Failure parse_webhook(const http::Request& request, Webhook& out) noexcept = 0;
  virtual Failure query_payment(const Order& order, PaymentState& out) noexcept = 0;
  virtual Failure refund(const RefundRequest& request, RefundResult& out) noexcept = 0;
};

// Implement these; what they throw (http::Error, anything) becomes the kernel's answer on the
// plugin's side of the boundary, as for route handlers.
class PaymentProviderBase : public PaymentProvider {
 protected:
  virtual Checkout checkout(const Order& order) = 0;
  virtual Webhook verify(const http::Request& request) = 0;
  virtual PaymentState query(const Order& order) = 0;
  virtual RefundResult give_back(const RefundRequest& request) = 0;

 public:
  Failure create_checkout(const Order& order, Checkout& out) noexcept final {
    return detail::failure_of([&] { out = checkout(order); });
  }
  Failure parse_webhook(const http::Request& request, Webhook& out) noexcept final {
    return detail::failure_of([&] { out = verify(request); });
  }
  Failure query_payment(const Order& order, PaymentState& out) noexcept final {
    return detail::failure_of([&] { out = query(order); });
  }
  Failure refund(const RefundRequest& request, RefundResult& out) noexcept final {
    return detail::failure_of([&] { out = give_back(request); });
  }
};

}  // namespace lore::sdk::payments
