// pay-stripe's requests and its reading of Stripe's answers and events (plugins/pay-stripe/
// stripe_api.h), and the SDK's Stripe-Signature check it verifies webhooks with.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lore/sdk/webhook_signature.h>

#include <map>

#include "../../plugins/pay-stripe/stripe_api.h"

namespace {

namespace st = pay_stripe;
namespace payments = lore::sdk::payments;
namespace ws = lore::sdk::webhook_signature;
using ::testing::HasSubstr;

constexpr std::int64_t kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z

payments::Order AnOrder(std::int64_t expires_in_s = 30 * 60) {
  payments::Order order;
  order.id = 42;
  order.title = "Writing for the web";
  order.price = {4999, "EUR"};
  order.created_at_ms = kNow * 1000;
  order.expires_at_ms = (kNow + expires_in_s) * 1000;
  return order;
}

std::map<std::string, std::string> AsMap(const st::Form& form) {
  std::map<std::string, std::string> fields;
  for (const auto& [name, value] : form) EXPECT_TRUE(fields.emplace(name, value).second) << name;
  return fields;
}

std::string Event(const std::string& type, const nlohmann::json& object,
                  const std::string& id = "evt_1") {
  return nlohmann::json{
      {"id", id}, {"object", "event"}, {"type", type}, {"data", {{"object", object}}}}
      .dump();
}

nlohmann::json PaidSession() {
  return {{"id", "cs_test_a1"},          {"object", "checkout.session"},
          {"status", "complete"},        {"payment_status", "paid"},
          {"amount_total", 4999},        {"currency", "eur"},
          {"client_reference_id", "42"}, {"metadata", {{"lore_order_id", "42"}}},
          {"payment_intent", "pi_1"}};
}

TEST(PayStripeApi, TheSessionIsPricedFromTheOrdersSnapshotInStripesUnits) {
  const auto fields =
      AsMap(st::checkout_session_form(AnOrder(), {"https://shop.example/orders/{order_id}/done",
                                                  "https://shop.example/c/{order_id}"}));
  EXPECT_EQ(fields.at("mode"), "payment");
  EXPECT_EQ(fields.at("client_reference_id"), "42");
  EXPECT_EQ(fields.at("metadata[lore_order_id]"), "42");
  EXPECT_EQ(fields.at("payment_intent_data[metadata][lore_order_id]"), "42");
  EXPECT_EQ(fields.at("line_items[0][price_data][currency]"), "eur");
  EXPECT_EQ(fields.at("line_items[0][price_data][unit_amount]"), "4999");
  EXPECT_EQ(fields.at("line_items[0][price_data][product_data][name]"), "Writing for the web");
  EXPECT_EQ(fields.at("line_items[0][quantity]"), "1");
  EXPECT_EQ(fields.at("success_url"), "https://shop.example/orders/42/done");
  EXPECT_EQ(fields.at("cancel_url"), "https://shop.example/c/42");
  // 30 minutes is shorter than Stripe allows: the session lasts 40 minutes from the order.
  EXPECT_EQ(fields.at("expires_at"), std::to_string(kNow + 40 * 60));
}

TEST(PayStripeApi, TheSessionExpiresWithTheOrderWithinStripesLimits) {
  const st::CheckoutUrls urls{"https://shop.example/", ""};
  const auto hour = AsMap(st::checkout_session_form(AnOrder(3600), urls));
  EXPECT_EQ(hour.at("expires_at"), std::to_string(kNow + 3600));
  EXPECT_EQ(hour.count("cancel_url"), 0u);
  EXPECT_EQ(AsMap(st::checkout_session_form(AnOrder(2 * 86400), urls)).at("expires_at"),
            std::to_string(kNow + 86400 - 300));
  // Counted from the order, not from now: a retry sends the same parameters.
  auto later = AnOrder();
  EXPECT_EQ(st::session_expiry_s(later), kNow + 40 * 60);
  auto untitled = AnOrder();
  untitled.title.clear();
  EXPECT_EQ(AsMap(st::checkout_session_form(untitled, urls))
                .at("line_items[0][price_data][product_data][name]"),
            "Order #42");
}

TEST(PayStripeApi, ARefundNamesThePaymentIntentTheAmountAndTheKernelsIds) {
  const auto order = AnOrder();
  const payments::RefundRequest request{order, {1500, "EUR"}, "lore-refund-42"};
  const auto fields = AsMap(st::refund_form("pi_1", request));
  EXPECT_EQ(fields.at("payment_intent"), "pi_1");
  EXPECT_EQ(fields.at("amount"), "1500");
  EXPECT_EQ(fields.at("metadata[lore_order_id]"), "42");
  EXPECT_EQ(fields.at("metadata[lore_refund_id]"), "lore-refund-42");
}

TEST(PayStripeApi, APaidSessionEventIsAPaymentOfItsOrder) {
  const auto parsed = st::parse_event(Event("checkout.session.completed", PaidSession()));
  EXPECT_EQ(parsed.event.id, "evt_1");
  EXPECT_EQ(parsed.event.kind, payments::PaymentEvent::Kind::paid);
  EXPECT_EQ(parsed.event.order_id, 42);
  EXPECT_EQ(parsed.event.amount.amount_minor, 4999);
  EXPECT_EQ(parsed.event.amount.currency, "EUR");
  EXPECT_EQ(parsed.event.provider_ref, "cs_test_a1");
  EXPECT_FALSE(parsed.untraced);
  EXPECT_EQ(
      st::parse_event(Event("checkout.session.async_payment_succeeded", PaidSession())).event.kind,
      payments::PaymentEvent::Kind::paid);
}

TEST(PayStripeApi, ACompletedSessionStillUnpaidIsNotAPayment) {
  auto session = PaidSession();
  session["payment_status"] = "unpaid";
  EXPECT_EQ(st::parse_event(Event("checkout.session.completed", session)).event.kind,
            payments::PaymentEvent::Kind::other);
  EXPECT_EQ(st::parse_event(Event("checkout.session.async_payment_failed", session)).event.kind,
            payments::PaymentEvent::Kind::failed);
  EXPECT_EQ(st::parse_event(Event("checkout.session.expired", session)).event.kind,
            payments::PaymentEvent::Kind::failed);
  EXPECT_EQ(st::parse_event(Event("customer.created", {{"id", "cus_1"}})).event.kind,
            payments::PaymentEvent::Kind::other);
}

TEST(PayStripeApi, ASucceededRefundIsARefundOfItsOrderOrOfItsPaymentIntent) {
  nlohmann::json refund = {{"id", "re_1"},
                           {"object", "refund"},
                           {"amount", 1000},
                           {"currency", "eur"},
                           {"status", "succeeded"},
                           {"payment_intent", "pi_1"},
                           {"metadata", {{"lore_order_id", "42"}}}};
  auto parsed = st::parse_event(Event("refund.created", refund));
  EXPECT_EQ(parsed.event.kind, payments::PaymentEvent::Kind::refunded);
  EXPECT_EQ(parsed.event.order_id, 42);
  EXPECT_EQ(parsed.event.provider_ref, "re_1");
  EXPECT_EQ(parsed.event.amount.amount_minor, 1000);
  EXPECT_EQ(parsed.event.amount.currency, "EUR");
  EXPECT_FALSE(parsed.untraced);

  refund["metadata"] = nlohmann::json::object();  // made in the dashboard
  parsed = st::parse_event(Event("charge.refund.updated", refund));
  EXPECT_EQ(parsed.event.order_id, 0);
  ASSERT_TRUE(parsed.untraced);
  EXPECT_EQ(parsed.untraced->payment_intent, "pi_1");

  refund["status"] = "pending";
  EXPECT_EQ(st::parse_event(Event("refund.updated", refund)).event.kind,
            payments::PaymentEvent::Kind::other);
  EXPECT_FALSE(st::parse_event(Event("refund.updated", refund)).refund_failed);
  refund["status"] = "failed";
  parsed = st::parse_event(Event("refund.failed", refund));
  EXPECT_EQ(parsed.event.kind, payments::PaymentEvent::Kind::other);
  EXPECT_TRUE(parsed.refund_failed);
}

TEST(PayStripeApi, AnotherShopsOrderIdIsNotTakenForOurs) {
  auto session = PaidSession();
  session.erase("client_reference_id");
  session["metadata"] = {{"order_id", "42"}};  // what another plugin on the account writes
  EXPECT_EQ(st::parse_event(Event("checkout.session.completed", session)).event.order_id, 0);
}

TEST(PayStripeApi, ARefundAnEarlierAttemptMadeIsFoundByTheKernelsRefundId) {
  const nlohmann::json list = {
      {"object", "list"},
      {"has_more", false},
      {"data",
       {{{"id", "re_other"}, {"status", "succeeded"}, {"metadata", nlohmann::json::object()}},
        {{"id", "re_failed"},
         {"status", "failed"},
         {"metadata", {{"lore_refund_id", "lore-refund-42"}}}},
        {{"id", "re_ours"},
         {"status", "pending"},
         {"metadata", {{"lore_refund_id", "lore-refund-42"}}}}}}};
  const auto found = st::earlier_refund(list.dump(), "lore-refund-42");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->provider_ref, "re_ours");
  EXPECT_EQ(found->kind, payments::RefundResult::Kind::pending);
  EXPECT_FALSE(st::earlier_refund(list.dump(), "lore-refund-7"));
  // Only a failed one: asked again, a new refund is made.
  auto failed_only = list;
  failed_only["data"].erase(2);
  EXPECT_FALSE(st::earlier_refund(failed_only.dump(), "lore-refund-42"));
  EXPECT_THROW(st::earlier_refund("{}", "lore-refund-42"), lore::sdk::http::Error);
}

TEST(PayStripeApi, MalformedEventsAreRefusedWithTheReason) {
  auto refused = [](const std::string& body) {
    try {
      st::parse_event(body);
    } catch (const lore::sdk::http::Error& e) {
      EXPECT_EQ(e.status(), 400);
      EXPECT_EQ(e.code(), "malformed_event");
      return std::string(e.what());
    }
    ADD_FAILURE() << "accepted: " << body;
    return std::string();
  };
  EXPECT_THAT(refused("not json"), HasSubstr("not a JSON object"));
  EXPECT_THAT(refused(R"({"type":"checkout.session.completed","data":{"object":{}}})"),
              HasSubstr("id is required"));
  EXPECT_THAT(refused(R"({"id":"evt_1","type":"checkout.session.completed"})"),
              HasSubstr("data.object is required"));
  auto session = PaidSession();
  session.erase("amount_total");
  EXPECT_THAT(refused(Event("checkout.session.completed", session)),
              HasSubstr("amount_total and currency are required"));
  session = PaidSession();
  session["amount_total"] = -5;
  EXPECT_THAT(refused(Event("checkout.session.completed", session)),
              HasSubstr("amount_total and currency are required"));
  EXPECT_THAT(
      refused(Event("refund.created",
                    {{"id", "re_1"}, {"amount", 5}, {"currency", "eur"}, {"status", "succeeded"}})),
      HasSubstr("without metadata.lore_order_id or payment_intent"));
}

TEST(PayStripeApi, ASessionReadBackSaysHowItsPaymentStands) {
  auto state = st::payment_state_of(PaidSession().dump());
  EXPECT_EQ(state.kind, payments::PaymentState::Kind::paid);
  EXPECT_EQ(state.amount.amount_minor, 4999);
  EXPECT_EQ(state.amount.currency, "EUR");
  EXPECT_EQ(state.provider_ref, "cs_test_a1");
  EXPECT_EQ(state.event_id, "query:cs_test_a1:paid");
  auto open = PaidSession();
  open["status"] = "open";
  open["payment_status"] = "unpaid";
  EXPECT_EQ(st::payment_state_of(open.dump()).kind, payments::PaymentState::Kind::pending);
  open["status"] = "expired";
  EXPECT_EQ(st::payment_state_of(open.dump()).kind, payments::PaymentState::Kind::failed);
  EXPECT_THROW(st::payment_state_of("[]"), lore::sdk::http::Error);
}

TEST(PayStripeApi, ARefundsStatusDecidesWhatTheKernelDoes) {
  auto result = st::refund_result_of(R"({"id":"re_1","status":"succeeded"})");
  EXPECT_EQ(result.kind, payments::RefundResult::Kind::succeeded);
  EXPECT_EQ(result.provider_ref, "re_1");
  EXPECT_EQ(st::refund_result_of(R"({"id":"re_1","status":"pending"})").kind,
            payments::RefundResult::Kind::pending);
  EXPECT_EQ(st::refund_result_of(R"({"id":"re_1","status":"requires_action"})").kind,
            payments::RefundResult::Kind::pending);
  result = st::refund_result_of(
      R"({"id":"re_1","status":"failed","failure_reason":"expired_or_canceled_card"})");
  EXPECT_EQ(result.kind, payments::RefundResult::Kind::failed);
  EXPECT_THAT(result.message, HasSubstr("expired_or_canceled_card"));
  EXPECT_THROW(st::refund_result_of(R"({"status":"succeeded"})"), lore::sdk::http::Error);
}

TEST(PayStripeApi, StripesErrorEnvelopeIsRead) {
  const auto error = st::api_error_of(
      400, R"({"error":{"type":"invalid_request_error","code":"charge_already_refunded",)"
           R"("message":"Charge ch_1 has already been refunded."}})");
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.code, "charge_already_refunded");
  EXPECT_EQ(error.message, "Charge ch_1 has already been refunded.");
  EXPECT_EQ(st::api_error_of(502, "<html>Bad gateway</html>").message, "Stripe answered HTTP 502");
}

TEST(PayStripeApi, TheSignatureIsTheHmacOfTheTimestampADotAndTheBody) {
  // Computed apart from this code: printf '%s' '1767225600.{...}' | openssl dgst -sha256 -hmac
  const std::string body = R"({"id":"evt_1","type":"checkout.session.completed"})";
  EXPECT_EQ(ws::signature_header("whsec_test_secret", kNow, body),
            "t=1767225600,v1=15cb038dde33dbf631159a8a3226f345c540a7ba0350704f4e95f9462346670c");
}

TEST(PayStripeApi, StripeSignaturesVerifyWithEitherSecretOfARotation) {
  const std::string body = Event("checkout.session.completed", PaidSession());
  const auto with = [&](const std::string& secret, std::int64_t t) {
    return ws::signature_header(secret, t, body);
  };
  const std::vector<std::string> secrets{"whsec_new", "whsec_old"};
  auto check = [&](const std::string& header, std::string_view signed_body) {
    return ws::check_signature(&header, signed_body, kNow, 300, secrets);
  };
  EXPECT_EQ(check(with("whsec_new", kNow), body), ws::SignatureCheck::ok);
  EXPECT_EQ(check(with("whsec_old", kNow - 300), body), ws::SignatureCheck::ok);
  EXPECT_EQ(check(with("whsec_new", kNow - 301), body), ws::SignatureCheck::stale);
  EXPECT_EQ(check(with("whsec_other", kNow), body), ws::SignatureCheck::bad_signature);
  EXPECT_EQ(check(with("whsec_new", kNow), body + " "), ws::SignatureCheck::bad_signature);
  // Stripe's header may carry a v0 (test mode) and several v1: any v1 may match.
  const auto good = with("whsec_old", kNow);
  const auto header = "t=" + std::to_string(kNow) + ",v1=" + std::string(64, 'a') + "," +
                      good.substr(good.find("v1=")) + ",v0=" + std::string(64, 'b');
  EXPECT_EQ(check(header, body), ws::SignatureCheck::ok);
  EXPECT_EQ(check("v1=" + std::string(64, 'a'), body), ws::SignatureCheck::malformed_header);
}

}  // namespace
