// What pay-stripe sends to Stripe's API and how it reads the answers and the webhook events,
// without any I/O: header-only so that the unit tests can reach it. Shapes are Stripe's
// documented ones at the pinned API version (kApiVersion): Checkout Sessions
// (https://docs.stripe.com/api/checkout/sessions), Refunds (https://docs.stripe.com/api/refunds),
// Events (https://docs.stripe.com/api/events) and errors (https://docs.stripe.com/api/errors).
//
// Amounts: Stripe's unit_amount/amount is in the currency's smallest unit, as Lore's
// amount_minor is (cents; yen for JPY); currencies are lower case at Stripe, upper case here.
#pragma once

#include <lore/sdk/http.h>
#include <lore/sdk/payments.h>
#include <lore/sdk/text.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pay_stripe {

namespace payments = lore::sdk::payments;
namespace http = lore::sdk::http;

// The API version the request and event shapes below were written for: sent as Stripe-Version
// so that an account upgraded later does not change them under us. Webhook endpoints have
// their own version, chosen when they are created in the dashboard: create this one with the
// same version.
inline constexpr std::string_view kApiVersion = "2024-06-20";
inline constexpr std::string_view kSignatureHeaderLower = "stripe-signature";
// Stripe refuses a Checkout Session that expires sooner than 30 minutes or later than 24 hours
// after it is created. The session's expiry is counted from the order's creation, so that a
// retry of the same checkout sends the same parameters (Stripe refuses other parameters under
// an idempotency key), with room for retries within the first ten minutes.
inline constexpr std::int64_t kMinSessionLifetimeS = 40 * 60;
inline constexpr std::int64_t kMaxSessionLifetimeS = 24 * 60 * 60 - 5 * 60;
// The metadata key naming the order, in sessions, PaymentIntents and refunds: namespaced, so
// that another shop on the same Stripe account (whose metadata says `order_id`) is never
// mistaken for this one.
inline constexpr const char* kOrderKey = "lore_order_id";

using Form = std::vector<std::pair<std::string, std::string>>;

inline std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// `{order_id}` in a configured URL becomes the order's id; Stripe's own `{CHECKOUT_SESSION_ID}`
// is left for Stripe to fill.
inline std::string with_order_id(std::string url, std::int64_t order_id) {
  const std::string placeholder = "{order_id}";
  const auto id = std::to_string(order_id);
  for (auto at = url.find(placeholder); at != std::string::npos;
       at = url.find(placeholder, at + id.size()))
    url.replace(at, placeholder.size(), id);
  return url;
}

struct CheckoutUrls {
  std::string success;
  std::string cancel;
};

// POST /v1/checkout/sessions: one line item priced from the order's snapshot, the order's id
// in client_reference_id and in the metadata of the session and of its PaymentIntent (so that
// refunds made in Stripe's dashboard can be traced back to the order).
// The session closes with the order, or as soon after as Stripe allows (a payment in between
// is honoured by the kernel like any late payment).
inline std::int64_t session_expiry_s(const payments::Order& order) {
  const auto created_s = order.created_at_ms / 1000;
  return std::clamp(order.expires_at_ms / 1000, created_s + kMinSessionLifetimeS,
                    created_s + kMaxSessionLifetimeS);
}

inline Form checkout_session_form(const payments::Order& order, const CheckoutUrls& urls) {
  const auto id = std::to_string(order.id);
  const auto name = order.title.empty() ? "Order #" + id : order.title;
  Form form{
      {"mode", "payment"},
      {"client_reference_id", id},
      {std::string("metadata[") + kOrderKey + "]", id},
      {std::string("payment_intent_data[metadata][") + kOrderKey + "]", id},
      {"line_items[0][quantity]", "1"},
      {"line_items[0][price_data][currency]", lore::sdk::text::ascii_lower(order.price.currency)},
      {"line_items[0][price_data][unit_amount]", std::to_string(order.price.amount_minor)},
      {"line_items[0][price_data][product_data][name]", name},
      {"success_url", with_order_id(urls.success, order.id)}};
  if (!urls.cancel.empty()) form.emplace_back("cancel_url", with_order_id(urls.cancel, order.id));
  form.emplace_back("expires_at", std::to_string(session_expiry_s(order)));
  return form;
}

// POST /v1/refunds. The kernel's refund id goes in the metadata too, so that the refund's
// events name it for a person reading the dashboard.
inline Form refund_form(const std::string& payment_intent, const payments::RefundRequest& request) {
  const auto order_id = std::to_string(request.order.id);
  return {{"payment_intent", payment_intent},
          {"amount", std::to_string(request.amount.amount_minor)},
          {std::string("metadata[") + kOrderKey + "]", order_id},
          {"metadata[lore_refund_id]", request.refund_id}};
}

// ---- Reading JSON ----

inline const nlohmann::json* member(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

inline std::string string_of(const nlohmann::json& object, const char* name) {
  const auto* value = member(object, name);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

inline std::optional<std::int64_t> amount_of(const nlohmann::json& object, const char* name) {
  const auto* value = member(object, name);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  if (value->is_number_unsigned() &&
      value->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return std::nullopt;
  const auto amount = value->get<std::int64_t>();
  if (amount < 0) return std::nullopt;
  return amount;
}

// The kernel's order id a Stripe object carries: client_reference_id (sessions) or
// metadata.lore_order_id; 0 when neither is a positive whole number.
inline std::int64_t order_id_of(const nlohmann::json& object) {
  for (const auto& text :
       {string_of(object, "client_reference_id"),
        member(object, "metadata") != nullptr ? string_of(*member(object, "metadata"), kOrderKey)
                                              : std::string()}) {
    if (auto id = lore::sdk::text::positive_integer(text)) return *id;
  }
  return 0;
}

// Stripe's error body: {"error": {"type", "code", "message", ...}}.
struct ApiError {
  std::string type;
  std::string code;
  std::string message;
};

inline ApiError api_error_of(long status, std::string_view body) {
  ApiError error;
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (const auto* e = member(parsed, "error")) {
    error.type = string_of(*e, "type");
    error.code = string_of(*e, "code");
    error.message = string_of(*e, "message");
  }
  if (error.message.empty()) error.message = "Stripe answered HTTP " + std::to_string(status);
  return error;
}

[[noreturn]] inline void unexpected(const std::string& what) {
  throw http::Error(502, "provider_bad_answer", "Stripe's answer was not understood: " + what);
}

inline nlohmann::json object_of(std::string_view body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) unexpected("not a JSON object");
  return parsed;
}

// A created Checkout Session → where the buyer pays.
inline payments::Checkout checkout_of(std::string_view body) {
  const auto session = object_of(body);
  payments::Checkout checkout{"redirect", string_of(session, "url"), string_of(session, "id")};
  if (checkout.provider_ref.empty() || checkout.value.empty())
    unexpected("the Checkout Session has no id or url");
  return checkout;
}

// What a Checkout Session says of its payment. `complete` + `paid` is money received; an
// `expired` session will never be paid; `open`, or `complete` while an asynchronous method
// (a bank debit) is still `unpaid`, is pending.
inline payments::PaymentState payment_state_of(std::string_view body) {
  const auto session = object_of(body);
  payments::PaymentState state;
  state.provider_ref = string_of(session, "id");
  const auto status = string_of(session, "status");
  const auto paid = string_of(session, "payment_status");
  if (paid == "paid") {
    const auto amount = amount_of(session, "amount_total");
    if (!amount) unexpected("a paid Checkout Session without amount_total");
    state.kind = payments::PaymentState::Kind::paid;
    state.amount = {*amount, upper(string_of(session, "currency"))};
    state.event_id = "query:" + state.provider_ref + ":paid";
  } else if (status == "expired") {
    state.kind = payments::PaymentState::Kind::failed;
  } else if (status == "open" || status == "complete") {
    state.kind = payments::PaymentState::Kind::pending;
  }
  return state;
}

// A created (or, for a repeated idempotency key, the same) Refund → what the kernel does.
inline payments::RefundResult refund_result_of(std::string_view body) {
  const auto refund = object_of(body);
  payments::RefundResult result;
  result.provider_ref = string_of(refund, "id");
  if (result.provider_ref.empty()) unexpected("the Refund has no id");
  const auto status = string_of(refund, "status");
  if (status == "succeeded") {
    result.kind = payments::RefundResult::Kind::succeeded;
  } else if (status == "failed" || status == "canceled") {
    result.kind = payments::RefundResult::Kind::failed;
    const auto reason = string_of(refund, "failure_reason");
    result.message = "Stripe's refund " + result.provider_ref + " " + status +
                     (reason.empty() ? std::string() : " (" + reason + ")");
  } else {
    // pending, requires_action: a refund.updated event will say how it ends.
    result.kind = payments::RefundResult::Kind::pending;
  }
  return result;
}

// GET /v1/refunds?payment_intent=… → the refund an earlier attempt of `refund_id` made, if it
// stands (succeeded or on its way). A failed or canceled one is not: asked again, a new
// refund is made.
inline std::optional<payments::RefundResult> earlier_refund(std::string_view list_body,
                                                            const std::string& refund_id) {
  const auto list = object_of(list_body);
  const auto* data = member(list, "data");
  if (data == nullptr || !data->is_array()) unexpected("a list without data");
  for (const auto& refund : *data) {
    const auto* metadata = member(refund, "metadata");
    if (metadata == nullptr || string_of(*metadata, "lore_refund_id") != refund_id) continue;
    auto result = refund_result_of(refund.dump());
    if (result.kind != payments::RefundResult::Kind::failed) return result;
  }
  return std::nullopt;
}

// ---- Webhook events ----

// An event whose object is a Refund that does not name its order (one made in the dashboard):
// the plugin looks the order up on the Refund's PaymentIntent.
struct UntracedRefund {
  std::string payment_intent;
};

struct ParsedEvent {
  payments::PaymentEvent event;
  std::optional<UntracedRefund> untraced;
  // A refund Stripe reports failed or canceled (a refund to an expired card, weeks later): the
  // money went back to the merchant. Nothing changes by itself; a person must look.
  bool refund_failed = false;
};

[[noreturn]] inline void malformed(const std::string& why) {
  throw http::Error(400, "malformed_event", "the Stripe event is malformed: " + why);
}

// A verified event body → the one fact it states (kind `other` for the rest: recorded, nothing
// changes). The event id is Stripe's evt_ id: Stripe sends an event again until it gets a 2xx,
// and the kernel applies each id once.
//   checkout.session.completed (payment_status paid), checkout.session.async_payment_succeeded
//     → paid, provider_ref the session id (what the checkout gave)
//   checkout.session.async_payment_failed, checkout.session.expired → failed
//   refund.created, refund.updated, charge.refund.updated with a succeeded Refund → refunded,
//     provider_ref the refund id (what the refund API gave)
// charge.refunded is not used: since API version 2022-11-15 its Charge no longer lists the
// refunds, so it cannot say which one it reports; subscribe to the refund events instead.
inline ParsedEvent parse_event(std::string_view raw) {
  const auto body = nlohmann::json::parse(raw, nullptr, false);
  if (body.is_discarded() || !body.is_object()) malformed("the body is not a JSON object");
  ParsedEvent parsed;
  auto& event = parsed.event;
  event.id = string_of(body, "id");
  const auto type = string_of(body, "type");
  if (event.id.empty() || event.id.size() > 255) malformed("id is required (at most 255 bytes)");
  if (type.empty()) malformed("type is required");
  const auto* data = member(body, "data");
  const auto* object = data != nullptr ? member(*data, "object") : nullptr;
  if (object == nullptr || !object->is_object()) malformed("data.object is required");
  event.summary = type + " " + event.id;
  event.kind = payments::PaymentEvent::Kind::other;

  using Kind = payments::PaymentEvent::Kind;
  auto money = [&](const char* field) {
    const auto amount = amount_of(*object, field);
    const auto currency = string_of(*object, "currency");
    if (!amount || currency.empty())
      malformed(std::string(field) + " and currency are required for " + type);
    event.amount = {*amount, upper(currency)};
  };
  event.provider_ref = string_of(*object, "id");
  event.summary += " " + event.provider_ref;
  event.order_id = order_id_of(*object);

  if (type == "checkout.session.completed" || type == "checkout.session.async_payment_succeeded") {
    // Completed with a bank debit still on its way is not paid yet: the async event follows.
    if (string_of(*object, "payment_status") != "paid") return parsed;
    event.kind = Kind::paid;
    money("amount_total");
  } else if (type == "checkout.session.async_payment_failed" ||
             type == "checkout.session.expired") {
    event.kind = Kind::failed;
  } else if (type == "refund.created" || type == "refund.updated" || type == "refund.failed" ||
             type == "charge.refund.updated") {
    const auto status = string_of(*object, "status");
    parsed.refund_failed = status == "failed" || status == "canceled";
    if (status != "succeeded") return parsed;
    event.kind = Kind::refunded;
    money("amount");
    if (event.order_id == 0) {
      const auto intent = string_of(*object, "payment_intent");
      if (intent.empty()) malformed("a refund without metadata.lore_order_id or payment_intent");
      parsed.untraced = UntracedRefund{intent};
    }
  }
  return parsed;
}

}  // namespace pay_stripe
