// pay-stripe against a fake Stripe (tests/support/fake_stripe.h) that speaks Stripe's documented
// shapes, on SQLite and on MariaDB with Redis: the checkout is a Checkout Session created with
// the order's snapshot and an idempotency key; webhook events are believed only with a valid
// Stripe-Signature (tolerance, rotation, several v1); each event is applied once; a refund goes
// through the Refunds API and its later event changes nothing; a dashboard refund is traced to
// its order through the PaymentIntent; reconciliation reads the session when the webhook is
// lost; a Stripe outage leaves the refund pending until Stripe is back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "commerce/commerce_service.h"
#include "jobs/job_scheduler.h"
#include "support/api_fixture.h"
#include "support/fake_stripe.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::HasSubstr;

constexpr const char* kKey = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
constexpr const char* kWebhookSecret = "whsec_test_current_0123456789abcdef";
constexpr const char* kPreviousSecret = "whsec_test_previous_0123456789abcde";

class PayStripe : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    stripe_.emplace(kKey);
    Start(std::string("  course-basic: { enabled: true }\n"
                      "  pay-stripe:\n    settings:\n") +
              "      secret_key: \"" + kKey + "\"\n      webhook_secret: \"" + kWebhookSecret +
              "\"\n      previous_webhook_secret: \"" + kPreviousSecret + "\"\n      api_base: \"" +
              stripe_->url() +
              "\"\n      success_url: \"https://shop.example/orders/{order_id}?paid=1\"\n"
              "      cancel_url: \"https://shop.example/courses\"\n      timeout_ms: 2000\n",
          {"course-basic", "pay-stripe"});
    Person("ann", {"creator"});
    Person("bob", {"learner"});
    Person("admin", {"admin"});
    course_ = BasicCourse("ann", "Negotiation, 12 lessons", 12900, "USD");
  }

  ApiAnswer Order(const std::string& key) {
    ApiCall call{Method::post, "/api/v1/orders",
                 nlohmann::json{{"course_id", course_}, {"provider", "stripe"}}.dump(),
                 tokens_.at("bob")};
    call.headers["idempotency-key"] = key;
    return call_api(*kernel_, call);
  }

  // Places an order and returns its id and its Checkout Session's id.
  std::pair<std::int64_t, std::string> Placed(const std::string& key = "k1") {
    auto placed = Order(key);
    EXPECT_EQ(placed.status, 201) << placed.raw.body;
    const auto order = placed.body["order"]["id"].get<std::int64_t>();
    const auto sessions = stripe_->requests_to("POST", "/v1/checkout/sessions");
    EXPECT_FALSE(sessions.empty());
    const auto url = placed.body["checkout"]["value"].get<std::string>();
    const auto id = url.substr(url.find("cs_test_"), url.find('#') - url.find("cs_test_"));
    return {order, id};
  }

  ApiAnswer Deliver(const std::string& body, const std::string& secret = kWebhookSecret,
                    std::int64_t age_s = 0) {
    ApiCall call{Method::post, "/api/v1/payments/stripe/webhook", body, ""};
    call.headers["content-type"] = "application/json";
    call.headers["stripe-signature"] =
        FakeStripe::signature(secret, clock_.now_ms() / 1000 - age_s, body);
    return call_api(*kernel_, call);
  }

  std::string Status(std::int64_t order) {
    return kernel_->commerce().orders().find(order)->status;
  }
  int Lesson() {
    return Call(Method::get, "/api/v1/courses/" + std::to_string(course_) + "/items/one", "bob")
        .status;
  }
  std::int64_t Count(const std::string& sql, std::int64_t order) {
    return kernel_->database().session().query_one(sql, {order})->get<std::int64_t>("n");
  }
  std::int64_t LedgerSum() {
    return kernel_->database()
        .session()
        .query_one("SELECT COALESCE(SUM(amount_minor), 0) AS n FROM lore_ledger_entries")
        ->get<std::int64_t>("n");
  }

  // The buyer pays on Stripe's page and Stripe sends checkout.session.completed.
  std::int64_t Bought() {
    const auto [order, session] = Placed();
    const auto completed = stripe_->event("checkout.session.completed", stripe_->pay(session));
    EXPECT_EQ(Deliver(completed).status, 200);
    EXPECT_EQ(Status(order), "fulfilled");
    return order;
  }

  std::optional<FakeStripe> stripe_;
  std::int64_t course_ = 0;
};

TEST_P(PayStripe, TheCheckoutIsAStripeSessionPricedFromTheOrder) {
  auto placed = Order("k1");
  ASSERT_EQ(placed.status, 201) << placed.raw.body;
  EXPECT_EQ(placed.body["checkout"]["kind"], "redirect");
  EXPECT_THAT(placed.body["checkout"]["value"].get<std::string>(),
              HasSubstr("https://checkout.stripe.com/c/pay/cs_test_"));
  const auto order = placed.body["order"]["id"].get<std::int64_t>();
  const auto id = std::to_string(order);
  const auto sent = stripe_->requests_to("POST", "/v1/checkout/sessions");
  ASSERT_EQ(sent.size(), 1u);
  const auto& request = sent[0];
  EXPECT_EQ(request.header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(request.header("stripe-version"), "2024-06-20");
  EXPECT_EQ(request.header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(request.header("idempotency-key"),
            "lore-checkout-" + id + "-" + std::to_string(clock_.now_ms()));
  EXPECT_EQ(request.form("mode"), "payment");
  EXPECT_EQ(request.form("client_reference_id"), id);
  EXPECT_EQ(request.form("metadata[lore_order_id]"), id);
  EXPECT_EQ(request.form("payment_intent_data[metadata][lore_order_id]"), id);
  EXPECT_EQ(request.form("line_items[0][price_data][currency]"), "usd");
  EXPECT_EQ(request.form("line_items[0][price_data][unit_amount]"), "12900");
  EXPECT_EQ(request.form("line_items[0][price_data][product_data][name]"),
            "Negotiation, 12 lessons");
  EXPECT_EQ(request.form("line_items[0][quantity]"), "1");
  EXPECT_EQ(request.form("success_url"), "https://shop.example/orders/" + id + "?paid=1");
  EXPECT_EQ(request.form("cancel_url"), "https://shop.example/courses");
  // The order lives 30 minutes, shorter than Stripe allows a session: it closes 40 minutes
  // after the order was made.
  EXPECT_EQ(request.form("expires_at"), std::to_string(clock_.now_ms() / 1000 + 40 * 60));
  EXPECT_EQ(Status(order), "pending");
  // The same purchase asked again replays the answer: no second session.
  EXPECT_EQ(Order("k1").status, 201);
  EXPECT_EQ(stripe_->requests_to("POST", "/v1/checkout/sessions").size(), 1u);
}

TEST_P(PayStripe, AStripeErrorWithdrawsTheOrderWithStripesMessage) {
  stripe_->fail_with(500);
  auto placed = Order("k1");
  EXPECT_EQ(placed.status, 502) << placed.raw.body;
  EXPECT_EQ(placed.body["error"]["code"], "provider_error");
  EXPECT_THAT(placed.body["error"]["message"].get<std::string>(),
              HasSubstr("Something went wrong on Stripe's end."));
  const auto order = placed.body["error"]["details"]["order_id"].get<std::int64_t>();
  EXPECT_EQ(Status(order), "cancelled");
}

TEST_P(PayStripe, APaidSessionFulfilsTheOrderOnce) {
  const auto [order, session] = Placed();
  // Completed but still unpaid (a bank debit on its way): nothing yet.
  auto unpaid = stripe_->session(session);
  unpaid["status"] = "complete";
  EXPECT_EQ(Deliver(stripe_->event("checkout.session.completed", unpaid)).status, 200);
  EXPECT_EQ(Status(order), "pending");
  EXPECT_EQ(Lesson(), 403);

  const auto completed = stripe_->event("checkout.session.completed", stripe_->pay(session));
  auto answer = Deliver(completed);
  EXPECT_EQ(answer.status, 200) << answer.raw.body;
  EXPECT_EQ(answer.body["received"], true);
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(Lesson(), 200);
  // Stripe sends it again (it did not see our answer): applied once.
  EXPECT_EQ(Deliver(completed).status, 200);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_payment_events WHERE order_id = ?", order), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_entitlements WHERE course_id = ?", course_), 1);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(PayStripe, OnlyProperlySignedFreshEventsAreBelieved) {
  const auto [order, session] = Placed();
  const auto completed = stripe_->event("checkout.session.completed", stripe_->pay(session));
  EXPECT_EQ(Deliver(completed, "whsec_someone_else_entirely_000000").status, 401);
  EXPECT_EQ(Deliver(completed, kWebhookSecret, 301).status, 401);  // older than the tolerance
  ApiCall unsigned_call{Method::post, "/api/v1/payments/stripe/webhook", completed, ""};
  auto answer = call_api(*kernel_, unsigned_call);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body["error"]["code"], "bad_signature_header");
  // The body changed after signing (the amount): refused.
  auto tampered = nlohmann::json::parse(completed);
  tampered["data"]["object"]["amount_total"] = 1;
  ApiCall forged{Method::post, "/api/v1/payments/stripe/webhook", tampered.dump(), ""};
  forged.headers["stripe-signature"] =
      FakeStripe::signature(kWebhookSecret, clock_.now_ms() / 1000, completed);
  EXPECT_EQ(call_api(*kernel_, forged).status, 401);
  EXPECT_EQ(Status(order), "pending");
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_payment_events WHERE order_id = ?", order), 0);

  // During a rotation Stripe signs with both secrets; the old one alone verifies too.
  const auto t = clock_.now_ms() / 1000;
  ApiCall both{Method::post, "/api/v1/payments/stripe/webhook", completed, ""};
  const auto with_old = FakeStripe::signature(kPreviousSecret, t, completed);
  both.headers["stripe-signature"] = "t=" + std::to_string(t) + ",v1=" + std::string(64, '0') +
                                     "," + with_old.substr(with_old.find("v1=")) + ",v0=ignored";
  answer = call_api(*kernel_, both);
  EXPECT_EQ(answer.status, 200) << answer.raw.body;
  EXPECT_EQ(Status(order), "fulfilled");
}

TEST_P(PayStripe, ARefundGoesThroughStripeAndItsEventChangesNothingMore) {
  const auto order = Bought();
  auto refund = Call(Method::post, "/api/v1/orders/" + std::to_string(order) + "/refund", "bob");
  ASSERT_EQ(refund.status, 200) << refund.raw.body;
  EXPECT_EQ(refund.body["refund"]["status"], "succeeded");
  const auto refund_id = refund.body["refund"]["provider_ref"].get<std::string>();
  EXPECT_THAT(refund_id, HasSubstr("re_test_"));
  const auto asked = stripe_->requests_to("POST", "/v1/refunds");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_THAT(*asked[0].header("idempotency-key"),
              ::testing::StartsWith("lore-refund-" + std::to_string(order) + "-"));
  EXPECT_EQ(asked[0].form("amount"), "12900");
  EXPECT_THAT(*asked[0].form("payment_intent"), HasSubstr("pi_test_"));
  EXPECT_EQ(asked[0].form("metadata[lore_order_id]"), std::to_string(order));
  EXPECT_EQ(asked[0].form("metadata[lore_refund_id]"), "lore-refund-" + std::to_string(order));
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(Lesson(), 403);
  EXPECT_EQ(LedgerSum(), 0);
  // Stripe's refund.created for the same refund: recognised, nothing refunded twice.
  nlohmann::json object = {{"id", refund_id},
                           {"object", "refund"},
                           {"amount", 12900},
                           {"currency", "usd"},
                           {"payment_intent", *asked[0].form("payment_intent")},
                           {"status", "succeeded"},
                           {"metadata", {{"lore_order_id", std::to_string(order)}}}};
  EXPECT_EQ(Deliver(stripe_->event("refund.created", object)).status, 200);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_refunds WHERE order_id = ?", order), 1);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(PayStripe, ADashboardRefundIsTracedToItsOrderThroughThePaymentIntent) {
  const auto order = Bought();
  const auto intent = stripe_->session(kernel_->commerce().orders().find(order)->provider_ref)
                          .at("payment_intent")
                          .get<std::string>();
  // Part first (the buyer keeps the course), then the rest.
  EXPECT_EQ(
      Deliver(stripe_->event("refund.created", stripe_->dashboard_refund(intent, 2900))).status,
      200);
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(Lesson(), 200);
  EXPECT_EQ(stripe_->requests_to("GET", "/v1/payment_intents/" + intent).size(), 1u);
  EXPECT_EQ(
      Deliver(stripe_->event("refund.updated", stripe_->dashboard_refund(intent, 10000))).status,
      200);
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(Lesson(), 403);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(PayStripe, ALostWebhookIsFoundByReadingTheSession) {
  kernel_->jobs().run_due();
  const auto [order, session] = Placed();
  stripe_->pay(session);  // its event never arrives
  clock_.advance(std::chrono::minutes(3));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(Lesson(), 200);
  EXPECT_EQ(stripe_->requests_to("GET", "/v1/checkout/sessions/" + session).size(), 1u);
  // The event, delivered at last, changes nothing.
  EXPECT_EQ(Deliver(stripe_->event("checkout.session.completed", stripe_->session(session))).status,
            200);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_entitlements WHERE course_id = ?", course_), 1);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(PayStripe, ARefundDuringAStripeOutageWaitsAndIsAskedAgain) {
  kernel_->jobs().run_due();
  const auto order = Bought();
  stripe_->fail_with(503);
  auto refund = Call(Method::post, "/api/v1/orders/" + std::to_string(order) + "/refund", "bob");
  EXPECT_EQ(refund.status, 202) << refund.raw.body;
  EXPECT_EQ(Status(order), "refunding");
  EXPECT_EQ(Lesson(), 200);  // nothing went back yet
  stripe_->fail_with(0);
  clock_.advance(std::chrono::minutes(3));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(Lesson(), 403);
  // The outage stopped the first attempt at its first call: the second made the refund.
  EXPECT_EQ(stripe_->requests_to("POST", "/v1/refunds").size(), 1u);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_refunds WHERE order_id = ?", order), 1);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(PayStripe, ARefundWhoseAnswerWasLostIsFoundNotMadeAgain) {
  kernel_->jobs().run_due();
  const auto order = Bought();
  stripe_->lose_next_post_answer();  // the refund is made at Stripe; its answer never arrives
  auto refund = Call(Method::post, "/api/v1/orders/" + std::to_string(order) + "/refund", "bob");
  EXPECT_EQ(refund.status, 202) << refund.raw.body;
  EXPECT_EQ(Status(order), "refunding");
  // Asked again later (in another hour, so under another idempotency key): Stripe's list shows
  // the refund the first attempt made, and no second one is made.
  clock_.advance(std::chrono::minutes(61));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(stripe_->requests_to("POST", "/v1/refunds").size(), 1u);
  EXPECT_EQ(stripe_->requests_to("GET", "/v1/refunds").size(), 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_refunds WHERE order_id = ?", order), 1);
  EXPECT_EQ(LedgerSum(), 0);
}

TEST_P(PayStripe, ARefundStripeRefusesLeavesTheOrderPaidUntilStripesOwnEvent) {
  const auto order = Bought();
  const auto intent = stripe_->session(kernel_->commerce().orders().find(order)->provider_ref)
                          .at("payment_intent")
                          .get<std::string>();
  // Refunded in Stripe's dashboard; its event is not here yet.
  const auto elsewhere = stripe_->dashboard_refund(intent, 12900);
  auto refund = Call(Method::post, "/api/v1/orders/" + std::to_string(order) + "/refund", "bob");
  EXPECT_EQ(refund.status, 409) << refund.raw.body;
  EXPECT_EQ(refund.body["error"]["code"], "refund_refused");
  EXPECT_THAT(refund.body["error"]["message"].get<std::string>(),
              HasSubstr("has already been refunded"));
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_refunds WHERE order_id = ?", order), 0);
  // Stripe's event for the dashboard refund settles it, once.
  EXPECT_EQ(Deliver(stripe_->event("refund.created", elsewhere)).status, 200);
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM lore_refunds WHERE order_id = ?", order), 1);
  EXPECT_EQ(LedgerSum(), 0);
}

INSTANTIATE_TEST_SUITE_P(, PayStripe, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

// Enabled without keys (as the embedded default enables every first-party plugin): the plugin
// runs, says what to set, and offers no provider.
class PayStripeUnconfigured : public ApiFixture {};

TEST_P(PayStripeUnconfigured, RunsWithoutOfferingTheProvider) {
  Start("  course-basic: { enabled: true }\n  pay-stripe: { enabled: true }\n",
        {"course-basic", "pay-stripe"});
  EXPECT_THAT(kernel_->commerce().provider_names(), ::testing::Not(::testing::Contains("stripe")));
  // Its webhook says the provider is not running (Stripe keeps the events and sends them again
  // once it is set up), rather than that there is no such provider.
  ApiCall webhook{Method::post, "/api/v1/payments/stripe/webhook", "{}", ""};
  const auto answer = call_api(*kernel_, webhook);
  EXPECT_EQ(answer.status, 503) << answer.raw.body;
  EXPECT_EQ(answer.body["error"]["code"], "provider_unavailable");
}

INSTANTIATE_TEST_SUITE_P(, PayStripeUnconfigured, ::testing::Values(Dialect::sqlite), dialect_name);

}  // namespace
}  // namespace lore::test
