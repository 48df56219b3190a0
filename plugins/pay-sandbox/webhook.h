// The sandbox's webhook: the JSON event it sends and how a received one is verified and turned
// into payments::PaymentEvent. Header-only so that the unit tests can reach it.
//
// Body (one event per webhook):
//   {"amount_minor":9900,"created":1767225600123,"currency":"CNY","id":"evt_<24 hex>",
//    "order_id":42,"payment_ref":"sbx_42","type":"payment.succeeded"}
// Header: Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, "<t>.<raw body>")>
#pragma once

#include <lore/sdk/http.h>
#include <lore/sdk/payments.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "signature.h"

namespace pay_sandbox {

namespace payments = lore::sdk::payments;
namespace http = lore::sdk::http;

inline constexpr std::string_view kPaymentSucceeded = "payment.succeeded";
inline constexpr std::string_view kPaymentFailed = "payment.failed";
inline constexpr std::string_view kRefundSucceeded = "refund.succeeded";

// The provider's id of an order's payment, and of a refund.
inline std::string payment_ref(std::int64_t order_id) { return "sbx_" + std::to_string(order_id); }
inline std::string refund_ref(std::string_view refund_id) {
  return "sbr_" + std::string(refund_id);
}

struct Event {
  std::string id;    // "evt_<random>"
  std::string type;  // payment.succeeded, payment.failed, refund.succeeded...
  std::int64_t order_id = 0;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string payment_ref;
  std::int64_t created_ms = 0;  // when the provider says it happened (informational)
};

inline std::string event_body(const Event& e) {
  return nlohmann::json{{"id", e.id},
                        {"type", e.type},
                        {"order_id", e.order_id},
                        {"amount_minor", e.amount_minor},
                        {"currency", e.currency},
                        {"payment_ref", e.payment_ref},
                        {"created", e.created_ms}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline payments::PaymentEvent::Kind kind_of(std::string_view type) {
  using Kind = payments::PaymentEvent::Kind;
  if (type == kPaymentSucceeded) return Kind::paid;
  if (type == kPaymentFailed) return Kind::failed;
  if (type == kRefundSucceeded) return Kind::refunded;
  return Kind::other;
}

namespace detail {

[[noreturn]] inline void malformed(const std::string& why) {
  throw http::Error(400, "malformed_event", "the webhook's event is malformed: " + why);
}

inline std::string string_member(const nlohmann::json& body, const char* name,
                                 std::size_t max_bytes, bool may_be_empty = false) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string())
    malformed(std::string(name) + " is required and must be a string");
  auto value = it->get<std::string>();
  if (value.size() > max_bytes || (value.empty() && !may_be_empty))
    malformed(std::string(name) + " must be 1 to " + std::to_string(max_bytes) + " bytes");
  return value;
}

inline std::int64_t integer_member(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer() ||
      (it->is_number_unsigned() &&
       it->get<std::uint64_t>() >
           static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) ||
      it->get<std::int64_t>() < 0)
    malformed(std::string(name) + " is required and must be a whole number of zero or more");
  return it->get<std::int64_t>();
}

}  // namespace detail

// Parses a verified body. Throws http::Error(400, "malformed_event") when it is not a JSON
// object with id, type, order_id, amount_minor, currency and payment_ref.
inline payments::PaymentEvent parse_event(std::string_view raw) {
  const auto body = nlohmann::json::parse(raw, nullptr, false);
  if (body.is_discarded() || !body.is_object()) detail::malformed("the body is not a JSON object");
  payments::PaymentEvent event;
  event.id = detail::string_member(body, "id", 255);
  const auto type = detail::string_member(body, "type", 64);
  event.kind = kind_of(type);
  event.order_id = detail::integer_member(body, "order_id");
  event.amount.amount_minor = detail::integer_member(body, "amount_minor");
  event.amount.currency = detail::string_member(body, "currency", 8);
  event.provider_ref = detail::string_member(body, "payment_ref", 255);
  event.summary = type + " " + event.id + " " + event.provider_ref;
  return event;
}

// The whole check of a received webhook, in this order: the header is there and well-formed
// (400 bad_signature_header), its timestamp is fresh (401 stale_signature), a v1 matches one of
// `secrets` (401 bad_signature), and only then the body is read (400 malformed_event).
inline payments::Webhook verify_webhook(const http::Request& request,
                                        const std::vector<std::string>& secrets, std::int64_t now_s,
                                        std::int64_t tolerance_s) {
  switch (check_signature(request.header(kSignatureHeaderLower), request.body, now_s, tolerance_s,
                          secrets)) {
    case SignatureCheck::malformed_header:
      throw http::Error(400, "bad_signature_header",
                        "the Sandbox-Signature header is missing or malformed (expected "
                        "t=<unix seconds>,v1=<hex HMAC-SHA-256>)");
    case SignatureCheck::stale:
      throw http::Error(401, "stale_signature",
                        "the webhook's signature timestamp is more than " +
                            std::to_string(tolerance_s) + " s from now");
    case SignatureCheck::bad_signature:
      throw http::Error(401, "bad_signature", "no v1 signature of the webhook matches");
    case SignatureCheck::ok: break;
  }
  payments::Webhook webhook;
  webhook.events.push_back(parse_event(request.body));
  webhook.acknowledgement = http::Response::json({{"received", true}});
  return webhook;
}

}  // namespace pay_sandbox
