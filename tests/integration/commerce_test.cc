// Buying a course through the kernel's routes with the pay-sandbox provider, on SQLite and on
// MariaDB with Redis: an order needs an Idempotency-Key (replayed, 422 on another body, one
// open order per buyer and course), the webhook is verified by the provider's signature, each
// event is applied once, the amount must match the order's snapshot, payment grants the course
// in the same transaction (order.paid and entitlement.granted once), a refund event revokes it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "../../plugins/pay-sandbox/signature.h"
#include "../../plugins/pay-sandbox/webhook.h"
#include "commerce/commerce_service.h"
#include "core/service_registry.h"
#include "core/sha256.h"
#include "events/outbox.h"
#include "jobs/job_scheduler.h"
#include "lore/sdk/hooks.h"
#include "lore/sdk/type_name.h"
#include "support/api_fixture.h"

namespace lore::test {
namespace {

using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::HasSubstr;

constexpr const char* kSecret = "test-webhook-secret-0123456789";

class Commerce : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    // The sandbox's own webhooks (Pay on its checkout page) go nowhere: lost deliveries.
    Start(
        std::string("  course-basic: { enabled: true }\n"
                    "  pay-sandbox:\n    settings: { webhook_url: "
                    "\"http://127.0.0.1:9/api/v1/payments/sandbox/webhook\", webhook_secret: \"") +
            kSecret + "\" }\n",
        {"course-basic", "pay-sandbox"});
    Person("ann", {"creator"});
    Person("bob", {"learner"});
    Person("cid", {"learner"});
    Person("admin", {"admin"});
    kernel_->hooks().on(sdk::hooks::order_paid, [this](const sdk::OrderPaid& e) {
      ++orders_paid_;
      EXPECT_EQ(e.order.status, "fulfilled");
    });
    kernel_->hooks().on(sdk::hooks::order_refunded,
                        [this](const sdk::OrderRefunded& e) { refunds_.push_back(e); });
    kernel_->hooks().on(sdk::hooks::entitlement_granted,
                        [this](const sdk::EntitlementGranted&) { ++granted_; });
    paid_course_ = Course("SQL in practice", 9900);
  }

  std::int64_t Course(const std::string& title, std::int64_t price) {
    return BasicCourse("ann", title, price);
  }

  ApiAnswer Order(const std::string& who, const std::string& key, const nlohmann::json& body) {
    ApiCall call{Method::post, "/api/v1/orders", body.dump(), tokens_.at(who)};
    if (!key.empty()) call.headers["idempotency-key"] = key;
    return call_api(*kernel_, call);
  }

  ApiAnswer Webhook(const std::string& body, const std::string& secret = kSecret,
                    const std::string& provider = "sandbox") {
    ApiCall call{Method::post, "/api/v1/payments/" + provider + "/webhook", body, ""};
    call.headers["sandbox-signature"] =
        pay_sandbox::signature_header(secret, clock_.now_ms() / 1000, body);
    return call_api(*kernel_, call);
  }

  std::string Paid(std::int64_t order_id, const std::string& event_id, std::int64_t amount = 9900,
                   const std::string& type = "payment.succeeded") {
    return pay_sandbox::event_body({event_id, type, order_id, amount, "CNY",
                                    pay_sandbox::payment_ref(order_id), clock_.now_ms()});
  }

  std::string Refund(std::int64_t order_id, const std::string& event_id, std::int64_t amount,
                     const std::string& refund_ref) {
    return pay_sandbox::event_body(
        {event_id, "refund.succeeded", order_id, amount, "CNY", refund_ref, clock_.now_ms()});
  }

  // Places and pays an order of the paid course.
  std::int64_t Bought(const std::string& who, const std::string& key) {
    auto placed = Order(who, key, {{"course_id", paid_course_}, {"provider", "sandbox"}});
    EXPECT_EQ(placed.status, 201) << placed.raw.body;
    const auto id = placed.body["order"]["id"].get<std::int64_t>();
    EXPECT_EQ(Webhook(Paid(id, "evt_pay_" + std::to_string(id))).status, 200);
    EXPECT_EQ(Status(id), "fulfilled");
    return id;
  }

  ApiAnswer AskRefund(std::int64_t order_id, const std::string& who) {
    return Call(Method::post, "/api/v1/orders/" + std::to_string(order_id) + "/refund", who);
  }

  std::string Status(std::int64_t order_id) {
    return kernel_->commerce().orders().find(order_id)->status;
  }
  int ItemStatus(const std::string& who) {
    return Call(Method::get, "/api/v1/courses/" + std::to_string(paid_course_) + "/items/one", who)
        .status;
  }

  std::int64_t paid_course_ = 0;
  int orders_paid_ = 0;
  int granted_ = 0;
  std::vector<sdk::OrderRefunded> refunds_;
};

TEST_P(Commerce, BuyPayOnceAndRefund) {
  const nlohmann::json buy = {{"course_id", paid_course_}, {"provider", "sandbox"}};
  auto no_key = Order("bob", "", buy);
  EXPECT_EQ(no_key.status, 400);
  EXPECT_EQ(no_key.code(), "idempotency_key_required");

  auto placed = Order("bob", "key-1", buy);
  ASSERT_EQ(placed.status, 201) << placed.raw.body;
  const auto order_id = placed.body["order"]["id"].get<std::int64_t>();
  EXPECT_EQ(placed.body["order"]["status"], "pending");
  EXPECT_EQ(placed.body["order"]["price"]["amount_minor"], 9900);
  EXPECT_EQ(placed.body["checkout"]["kind"], "redirect");
  EXPECT_THAT(placed.body["checkout"]["value"].get<std::string>(),
              HasSubstr("/pay-sandbox/checkout/" + std::to_string(order_id) + "?t="));

  // The same key and body: the first answer again, byte for byte.
  auto replay = Order("bob", "key-1", buy);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.raw.body, placed.raw.body);
  EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
  // The same key with another body.
  auto reused = Order("bob", "key-1", {{"course_id", paid_course_}, {"provider", "other"}});
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(reused.code(), "idempotency_key_reused");
  // A new key for the same course: the open order, not a second one.
  auto again = Order("bob", "key-2", buy);
  EXPECT_EQ(again.status, 200) << again.raw.body;
  EXPECT_EQ(again.body["order"]["id"], order_id);
  // Another buyer's key space is their own.
  EXPECT_EQ(Order("cid", "key-1", buy).status, 201);

  EXPECT_EQ(ItemStatus("bob"), 403);

  // Forged, wrong amount, unknown order: answered, nothing changes.
  auto forged = Webhook(Paid(order_id, "evt_forged"), "not-the-secret");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.code(), "bad_signature");
  EXPECT_EQ(Webhook(Paid(order_id, "evt_cheap", 1)).status, 200);
  EXPECT_EQ(Webhook(Paid(987654, "evt_nobody")).status, 200);
  EXPECT_EQ(Status(order_id), "pending");
  EXPECT_EQ(ItemStatus("bob"), 403);

  // The real payment, then its duplicate and a copy under a new event id.
  auto paid = Webhook(Paid(order_id, "evt_paid"));
  EXPECT_EQ(paid.status, 200) << paid.raw.body;
  EXPECT_EQ(paid.body["received"], true);
  EXPECT_EQ(Webhook(Paid(order_id, "evt_paid")).status, 200);
  EXPECT_EQ(Webhook(Paid(order_id, "evt_paid_again")).status, 200);
  // A second payment of the same order (another payment at the provider) is flagged.
  EXPECT_EQ(Webhook(pay_sandbox::event_body({"evt_paid_elsewhere", "payment.succeeded", order_id,
                                             9900, "CNY", "sbx_another_session", clock_.now_ms()}))
                .status,
            200);
  // A stale failure arriving after the payment changes nothing.
  EXPECT_EQ(Webhook(Paid(order_id, "evt_late_failure", 9900, "payment.failed")).status, 200);
  EXPECT_EQ(Status(order_id), "fulfilled");
  EXPECT_EQ(orders_paid_, 1);
  EXPECT_EQ(granted_, 1);
  EXPECT_EQ(ItemStatus("bob"), 200);
  auto library = Call(Method::get, "/api/v1/me/library", "bob");
  ASSERT_EQ(library.body["items"].size(), 1u);
  EXPECT_EQ(library.body["items"][0]["entitlement"]["source"], "purchase");
  auto owned = Order("bob", "key-3", buy);
  EXPECT_EQ(owned.status, 409);
  EXPECT_EQ(owned.code(), "already_owned");

  auto mine = Call(Method::get, "/api/v1/me/orders", "bob");
  ASSERT_EQ(mine.body["orders"].size(), 1u);
  EXPECT_EQ(mine.body["orders"][0]["status"], "fulfilled");
  EXPECT_EQ(Call(Method::get, "/api/v1/orders/" + std::to_string(order_id), "cid").status, 404)
      << "another buyer's order looks missing";

  // The provider reports a refund: the course is taken back.
  EXPECT_EQ(Webhook(Paid(order_id, "evt_refund", 9900, "refund.succeeded")).status, 200);
  EXPECT_EQ(Status(order_id), "refunded");
  EXPECT_EQ(ItemStatus("bob"), 403);

  // What each event did is on record, once.
  auto session = kernel_->database().session();
  auto outcomes = session.query(
      "SELECT event_id, outcome FROM lore_payment_events WHERE provider = 'sandbox' ORDER BY "
      "event_id");
  std::map<std::string, std::string> by_event;
  for (const auto& row : outcomes)
    by_event[row.get<std::string>("event_id")] = row.get<std::string>("outcome");
  EXPECT_EQ(by_event["evt_cheap"], "amount_mismatch");
  EXPECT_EQ(by_event["evt_nobody"], "unknown_order");
  EXPECT_EQ(by_event["evt_paid"], "fulfilled");
  EXPECT_EQ(by_event["evt_paid_again"], "already_paid");
  EXPECT_EQ(by_event["evt_paid_elsewhere"], "paid_twice");
  EXPECT_EQ(by_event["evt_late_failure"], "stale_failure");
  EXPECT_EQ(by_event["evt_refund"], "refunded");
  EXPECT_EQ(by_event.count("evt_forged"), 0u);
}

TEST_P(Commerce, AFreeCourseIsGrantedWithoutAProvider) {
  const auto free_course = Course("Free intro", 0);
  auto placed = Order("bob", "free-1", {{"course_id", free_course}});
  ASSERT_EQ(placed.status, 201) << placed.raw.body;
  EXPECT_TRUE(placed.body["checkout"].is_null());
  EXPECT_EQ(placed.body["order"]["status"], "fulfilled");
  EXPECT_EQ(placed.body["entitlement"]["source"], "purchase");
  EXPECT_EQ(granted_, 1);
  EXPECT_EQ(orders_paid_, 1) << "order.paid fires for a free order too";
  EXPECT_EQ(Order("bob", "free-2", {{"course_id", free_course}}).code(), "already_owned");
  // Nothing was paid: nothing to refund, nothing in the ledger.
  auto refund =
      Call(Method::post, "/api/v1/orders/" + placed.body["order"]["id"].dump() + "/refund", "bob");
  EXPECT_EQ(refund.status, 409);
  EXPECT_EQ(refund.code(), "not_refundable");
  EXPECT_TRUE(kernel_->commerce().ledger().balances().empty());
}

TEST_P(Commerce, BadOrdersAreRefusedAndTheKeyCanBeUsedAgain) {
  auto missing = Order("bob", "k", {{"provider", "sandbox"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.fields(), ::testing::ElementsAre("course_id:required"));
  auto unknown = Order("bob", "k", {{"course_id", paid_course_}, {"provider", "paypal"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.message(), HasSubstr("running: sandbox"));
  EXPECT_EQ(Order("bob", "k", {{"course_id", 999999}, {"provider", "sandbox"}}).status, 404);
  // Nothing was bought under the key, so the corrected request runs.
  EXPECT_EQ(Order("bob", "k", {{"course_id", paid_course_}, {"provider", "sandbox"}}).status, 201);
  auto bad_key = Order("bob", std::string(300, 'x'), {{"course_id", paid_course_}});
  EXPECT_EQ(bad_key.code(), "invalid_idempotency_key");
}

TEST_P(Commerce, AKeyWhoseFirstRequestDiedIsTakenOverAfterAMinute) {
  const nlohmann::json buy = {{"course_id", paid_course_}, {"provider", "sandbox"}};
  // The first request with the key claimed it, then its process died before answering.
  kernel_->database().session().execute(
      "INSERT INTO lore_idempotency_keys (user_id, route, idem_key, fingerprint, status, "
      "response_body, created_at) VALUES (?, 'POST /api/v1/orders', 'k', ?, 0, '', ?)",
      {ids_.at("bob"), sha256_hex(buy.dump()), clock_.now_ms()});
  auto busy = Order("bob", "k", buy);
  EXPECT_EQ(busy.status, 409) << busy.raw.body;
  EXPECT_EQ(busy.code(), "request_in_progress");
  EXPECT_EQ(busy.header("Retry-After"), "1");
  clock_.advance(std::chrono::seconds(61));
  auto taken = Order("bob", "k", buy);
  ASSERT_EQ(taken.status, 201) << taken.raw.body;
  auto replay = Order("bob", "k", buy);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.raw.body, taken.raw.body);
}

TEST_P(Commerce, ARequestTakenOverCannotStoreItsAnswerOverTheNewOwners) {
  auto& keys = kernel_->commerce().keys();
  const auto user = ids_.at("bob");
  const auto first = keys.claim(user, "test route", "k", "fingerprint");
  ASSERT_FALSE(first.answer);
  ASSERT_FALSE(first.owner.empty());
  EXPECT_TRUE(keys.claim(user, "test route", "k", "fingerprint").answer) << "409 while it runs";
  clock_.advance(std::chrono::seconds(61));
  const auto second = keys.claim(user, "test route", "k", "fingerprint");
  ASSERT_FALSE(second.answer) << "the first request is presumed dead: taken over";
  EXPECT_NE(second.owner, first.owner);
  // The first request was only slow: its late answer is not stored, nor can it release the key.
  keys.release(user, "test route", "k", first.owner);
  EXPECT_FALSE(keys.finish(user, "test route", "k", first.owner,
                           sdk::http::Response::json({{"from", "first"}}, 201)));
  EXPECT_TRUE(keys.finish(user, "test route", "k", second.owner,
                          sdk::http::Response::json({{"from", "second"}}, 201)));
  const auto replay = keys.claim(user, "test route", "k", "fingerprint");
  ASSERT_TRUE(replay.answer);
  EXPECT_EQ(replay.answer->status, 201);
  EXPECT_THAT(replay.answer->body, HasSubstr("second"));
}

TEST_P(Commerce, AStoppedProviderMakesItsWebhooksWait) {
  auto placed = Order("bob", "k", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(placed.status, 201);
  const auto order_id = placed.body["order"]["id"].get<std::int64_t>();
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/pay-sandbox/disable", "admin").status, 200);
  auto waiting = Webhook(Paid(order_id, "evt_1"));
  EXPECT_EQ(waiting.status, 503);
  EXPECT_EQ(waiting.header("Retry-After"), "60");
  EXPECT_EQ(Status(order_id), "pending");
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/pay-sandbox/enable", "admin").status, 200);
  EXPECT_EQ(Webhook(Paid(order_id, "evt_1")).status, 200);
  EXPECT_EQ(Status(order_id), "fulfilled");
  // A provider no installed plugin offers is a wrong URL, not one to wait for.
  auto unknown = Webhook(Paid(order_id, "evt_2"), kSecret, "paypal");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.code(), "unknown_provider");
}

TEST_P(Commerce, RefundsFollowTheMoney) {
  const nlohmann::json buy = {{"course_id", paid_course_}, {"provider", "sandbox"}};
  // A refund delivered before its payment: the payment, when it comes, grants nothing.
  auto first = Order("bob", "k1", buy);
  ASSERT_EQ(first.status, 201);
  const auto early = first.body["order"]["id"].get<std::int64_t>();
  EXPECT_EQ(Webhook(Paid(early, "evt_r0", 9900, "refund.succeeded")).status, 200);
  EXPECT_EQ(Status(early), "pending");
  EXPECT_EQ(Webhook(Paid(early, "evt_p0")).status, 200);
  EXPECT_EQ(Status(early), "refunded");
  EXPECT_EQ(ItemStatus("bob"), 403);
  EXPECT_EQ(orders_paid_, 0);

  // Part of the money back keeps the course; a refund in another currency, or of more than
  // is left, changes nothing; one refund reported twice counts once; the rest takes it back.
  auto second = Order("cid", "k2", buy);
  ASSERT_EQ(second.status, 201);
  const auto order = second.body["order"]["id"].get<std::int64_t>();
  ASSERT_EQ(Webhook(Paid(order, "evt_p1")).status, 200);
  ASSERT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(Webhook(Refund(order, "evt_r1", 100, "sbr_part")).status, 200);
  EXPECT_EQ(Webhook(Refund(order, "evt_r1_again", 100, "sbr_part")).status, 200);
  EXPECT_EQ(ItemStatus("cid"), 200);
  EXPECT_EQ(Webhook(pay_sandbox::event_body({"evt_r2", "refund.succeeded", order, 9800, "USD",
                                             "sbr_usd", clock_.now_ms()}))
                .status,
            200);
  EXPECT_EQ(Webhook(Refund(order, "evt_r2_more", 9801, "sbr_more")).status, 200);
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(Webhook(Refund(order, "evt_r3", 9800, "sbr_rest")).status, 200);
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(ItemStatus("cid"), 403);
  EXPECT_EQ(Webhook(Refund(order, "evt_r4", 9800, "sbr_later")).status, 200);
  // order.refunded once, for the order refunded in full after it was fulfilled (the first
  // never was: neither order.paid nor order.refunded fire for it).
  ASSERT_EQ(refunds_.size(), 1u);
  EXPECT_EQ(refunds_[0].order.id, order);
  EXPECT_EQ(refunds_[0].last_refund.amount_minor, 9800);

  auto session = kernel_->database().session();
  std::map<std::string, std::string> by_event;
  for (const auto& row : session.query("SELECT event_id, outcome FROM lore_payment_events"))
    by_event[row.get<std::string>("event_id")] = row.get<std::string>("outcome");
  EXPECT_EQ(by_event["evt_r0"], "refund_before_payment");
  EXPECT_EQ(by_event["evt_p0"], "refunded_before_fulfilment");
  EXPECT_EQ(by_event["evt_r1"], "partial_refund");
  EXPECT_EQ(by_event["evt_r1_again"], "refund_already_recorded");
  EXPECT_EQ(by_event["evt_r2"], "refund_mismatch");
  EXPECT_EQ(by_event["evt_r2_more"], "refund_mismatch");
  EXPECT_EQ(by_event["evt_r3"], "refunded");
  EXPECT_EQ(by_event["evt_r4"], "already_refunded");
  // Both orders' money came and went: every account is back to zero, through journals of
  // three entries each (payment, refund before fulfilment; payment, two refunds).
  EXPECT_EQ(kernel_->commerce().ledger().entries(std::nullopt, 0, 100).size(), 15u);
  const auto balances = kernel_->commerce().ledger().balances();
  EXPECT_EQ(balances.size(), 3u);
  for (const auto& balance : balances) EXPECT_EQ(balance.balance_minor, 0) << balance.account;
}

TEST_P(Commerce, PartOfTheMoneyRefundedBeforeThePaymentArrivedIsTakenIntoAccount) {
  auto placed = Order("bob", "k1", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(placed.status, 201);
  const auto order = placed.body["order"]["id"].get<std::int64_t>();
  ASSERT_EQ(Webhook(Refund(order, "evt_early", 1000, "sbr_early")).status, 200);
  ASSERT_EQ(Webhook(Refund(order, "evt_too_much", 9000, "sbr_too_much")).status, 200);
  ASSERT_EQ(Webhook(Paid(order, "evt_pay")).status, 200);
  EXPECT_EQ(Status(order), "fulfilled") << "most of the money stayed: the buyer keeps the course";
  EXPECT_EQ(ItemStatus("bob"), 200);
  std::map<std::string, std::string> by_event;
  for (const auto& row :
       kernel_->database().session().query("SELECT event_id, outcome FROM lore_payment_events"))
    by_event[row.get<std::string>("event_id")] = row.get<std::string>("outcome");
  EXPECT_EQ(by_event["evt_early"], "refund_before_payment");
  EXPECT_EQ(by_event["evt_too_much"], "refund_mismatch") << "9000 + 1000 is more than 9900";
  EXPECT_EQ(by_event["evt_pay"], "fulfilled");
  std::map<std::string, std::int64_t> balance;
  for (const auto& b : kernel_->commerce().ledger().balances())
    balance[b.account] = b.balance_minor;
  EXPECT_EQ(balance["provider:sandbox"], 8900);
  EXPECT_EQ(balance["platform:fees"], -890);
  EXPECT_EQ(balance["creator:" + std::to_string(ids_.at("ann"))], -8010);
  // The buyer's own refund asks for what is left.
  auto rest = AskRefund(order, "bob");
  ASSERT_EQ(rest.status, 200) << rest.raw.body;
  EXPECT_EQ(rest.body["refund"]["amount_minor"], 8900);
  for (const auto& b : kernel_->commerce().ledger().balances())
    EXPECT_EQ(b.balance_minor, 0) << b.account;
}

TEST_P(Commerce, AWithdrawnOrderPaidAfterAnotherIsFlaggedForARefund) {
  auto first = Order("bob", "k1", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(first.status, 201);
  const auto withdrawn = first.body["order"]["id"].get<std::int64_t>();
  // The buyer starts over (a new order after the first expired).
  clock_.advance(std::chrono::minutes(31));
  auto second = Order("bob", "k2", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(second.status, 201) << second.raw.body;
  const auto order = second.body["order"]["id"].get<std::int64_t>();
  ASSERT_NE(order, withdrawn);
  ASSERT_EQ(Webhook(Paid(order, "evt_a")).status, 200);
  // The old checkout was paid too: honoured (the money arrived) and flagged for a refund.
  ASSERT_EQ(Webhook(Paid(withdrawn, "evt_b")).status, 200);
  auto session = kernel_->database().session();
  auto row = session.query_one(
      "SELECT outcome FROM lore_payment_events WHERE provider = 'sandbox' AND event_id = 'evt_b'");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::string>("outcome"), "fulfilled_already_owned");
  EXPECT_EQ(granted_, 1);
  // Refunding that second payment leaves the course to the order that still stands.
  ASSERT_EQ(Webhook(Paid(withdrawn, "evt_c", 9900, "refund.succeeded")).status, 200);
  EXPECT_EQ(Status(withdrawn), "refunded");
  EXPECT_EQ(ItemStatus("bob"), 200);
}

// A provider whose checkout waits until the test lets it go.
class GatedProvider final : public sdk::payments::PaymentProviderBase {
 public:
  std::promise<void> entered;
  std::promise<void> release;

  std::string_view description() const noexcept override { return "gated (test)"; }

 protected:
  sdk::payments::Checkout checkout(const sdk::payments::Order& order) override {
    entered.set_value();
    release.get_future().wait();
    const auto id = std::to_string(order.id);
    return {"redirect", "https://pay.example/" + id, "gated_" + id};
  }
  sdk::payments::Webhook verify(const sdk::http::Request&) override {
    throw sdk::http::Error(400, "unused", "not used by the test");
  }
  sdk::payments::PaymentState query(const sdk::payments::Order&) override { return {}; }
  sdk::payments::RefundResult give_back(const sdk::payments::RefundRequest&) override {
    return {sdk::payments::RefundResult::Kind::failed, "", "not used by the test"};
  }
};

TEST_P(Commerce, AnOrderWithdrawnWhileItsPaymentStartsShowsNoCheckout) {
  auto gated = std::make_shared<GatedProvider>();
  ASSERT_TRUE(kernel_->services().provide(
      "test", nullptr, sdk::payments::PaymentProvider::kServiceKind,
      sdk::type_name<sdk::payments::PaymentProvider>(), "gated", gated));
  auto entered = gated->entered.get_future();
  ApiAnswer first;
  std::thread buyer([&] {
    first = Order("bob", "k1", {{"course_id", paid_course_}, {"provider", "gated"}});
  });
  entered.wait();
  // Meanwhile the same buyer orders the course through another provider: the first order is
  // withdrawn while its provider is still starting the payment.
  auto second = Order("bob", "k2", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  gated->release.set_value();
  buyer.join();
  EXPECT_EQ(second.status, 201) << second.raw.body;
  EXPECT_EQ(first.status, 409) << first.raw.body;
  EXPECT_EQ(first.code(), "order_withdrawn");
  const auto withdrawn = first.body["error"]["details"]["order_id"].get<std::int64_t>();
  EXPECT_EQ(Status(withdrawn), "cancelled");
  EXPECT_FALSE(kernel_->commerce().orders().checkout_of(withdrawn).has_value());
}

TEST_P(Commerce, OneRequestAtATimeStartsAnOrdersCheckout) {
  auto placed = Order("bob", "k1", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(placed.status, 201);
  const auto id = placed.body["order"]["id"].get<std::int64_t>();
  // A second order of the same course by another buyer, claimed by a request that died.
  auto other = Order("cid", "k1", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(other.status, 201);
  auto& orders = kernel_->commerce().orders();
  auto& db = kernel_->database();
  const auto now = clock_.now_ms();
  EXPECT_FALSE(orders.reserve_checkout(id, now - 60000)) << "it has a checkout already";
  const auto fresh = db.transact([&](sdk::db::Transaction& tx) {
    return orders.create(
        tx,
        {ids_.at("ann"), paid_course_, "t", {9900, "CNY"}, "sandbox", "pending", now + 3600000});
  });
  EXPECT_TRUE(orders.reserve_checkout(fresh.id, now - 60000));
  EXPECT_FALSE(orders.reserve_checkout(fresh.id, now - 60000))
      << "a second request waits while the first starts the payment";
  clock_.advance(std::chrono::seconds(61));
  EXPECT_TRUE(orders.reserve_checkout(fresh.id, clock_.now_ms() - 60000))
      << "a claim whose request died is taken over";
  // Through the route: the buyer whose order is being started is asked to retry.
  auto waiting = Order("ann", "k9", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  EXPECT_EQ(waiting.status, 409) << waiting.raw.body;
  EXPECT_EQ(waiting.code(), "request_in_progress");
}

TEST_P(Commerce, TheBuyerRefundsWithinTheWindowAndTheLedgerReturnsToZero) {
  const auto order = Bought("bob", "k1");
  EXPECT_EQ(ItemStatus("bob"), 200);
  // Paid 99.00 CNY: 10% to the platform, the rest owed to the course's creator.
  auto ledger = Call(Method::get, "/api/v1/admin/ledger", "admin");
  ASSERT_EQ(ledger.status, 200) << ledger.raw.body;
  std::map<std::string, std::int64_t> balance;
  for (const auto& a : ledger.body["accounts"])
    balance[a["account"].get<std::string>()] = a["balance_minor"].get<std::int64_t>();
  const auto creator = "creator:" + std::to_string(ids_.at("ann"));
  EXPECT_EQ(balance["provider:sandbox"], 9900);
  EXPECT_EQ(balance["platform:fees"], -990);
  EXPECT_EQ(balance[creator], -8910);
  ASSERT_EQ(ledger.body["totals"].size(), 1u);
  EXPECT_EQ(ledger.body["totals"][0]["currency"], "CNY");
  EXPECT_EQ(ledger.body["totals"][0]["sum_minor"], 0);
  EXPECT_EQ(ledger.body["entries"].size(), 3u);
  auto earnings = Call(Method::get, "/api/v1/me/earnings", "ann");
  ASSERT_EQ(earnings.status, 200) << earnings.raw.body;
  ASSERT_EQ(earnings.body["earnings"].size(), 1u);
  EXPECT_EQ(earnings.body["earnings"][0]["earned_minor"], 8910);
  EXPECT_EQ(earnings.body["earnings"][0]["net_minor"], 8910);
  EXPECT_EQ(earnings.body["entries"].size(), 1u);
  EXPECT_EQ(Call(Method::get, "/api/v1/me/earnings", "bob").body["earnings"].size(), 0u)
      << "a learner earned nothing";
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/ledger", "ann").status, 403);

  // Another buyer cannot refund it (it looks missing); the buyer can.
  EXPECT_EQ(AskRefund(order, "cid").status, 404);
  auto refunded = AskRefund(order, "bob");
  ASSERT_EQ(refunded.status, 200) << refunded.raw.body;
  EXPECT_EQ(refunded.body["order"]["status"], "refunded");
  EXPECT_EQ(refunded.body["refund"]["status"], "succeeded");
  EXPECT_EQ(refunded.body["refund"]["amount_minor"], 9900);
  EXPECT_EQ(refunded.body["refund"]["outcome"], "refunded");
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(ItemStatus("bob"), 403);
  ASSERT_EQ(refunds_.size(), 1u);
  EXPECT_EQ(refunds_[0].order.id, order);
  EXPECT_EQ(refunds_[0].last_refund.amount_minor, 9900);
  EXPECT_TRUE(refunds_[0].access_revoked);

  // Asking again changes nothing; the provider's own report of that refund neither.
  auto again = AskRefund(order, "bob");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.code(), "already_refunded");
  const auto reference = refunded.body["refund"]["provider_ref"].get<std::string>();
  EXPECT_EQ(reference, pay_sandbox::refund_ref("lore-refund-" + std::to_string(order)));
  EXPECT_EQ(Webhook(Refund(order, "evt_provider_refund", 9900, reference)).status, 200);
  EXPECT_EQ(refunds_.size(), 1u);

  ledger = Call(Method::get, "/api/v1/admin/ledger", "admin");
  for (const auto& a : ledger.body["accounts"]) EXPECT_EQ(a["balance_minor"], 0) << a.dump();
  EXPECT_EQ(ledger.body["totals"][0]["sum_minor"], 0);
  EXPECT_EQ(ledger.body["entries"].size(), 6u);
  earnings = Call(Method::get, "/api/v1/me/earnings", "ann");
  EXPECT_EQ(earnings.body["earnings"][0]["earned_minor"], 8910);
  EXPECT_EQ(earnings.body["earnings"][0]["reversed_minor"], 8910);
  EXPECT_EQ(earnings.body["earnings"][0]["net_minor"], 0);
  // Pages: newest first, the cursor continues below the last id.
  auto first_page = Call(Method::get, "/api/v1/admin/ledger?limit=4", "admin");
  ASSERT_EQ(first_page.body["entries"].size(), 4u);
  ASSERT_TRUE(first_page.body["next_cursor"].is_string());
  auto rest = Call(
      Method::get,
      "/api/v1/admin/ledger?limit=4&cursor=" + first_page.body["next_cursor"].get<std::string>(),
      "admin");
  ASSERT_EQ(rest.body["entries"].size(), 2u);
  EXPECT_TRUE(rest.body["next_cursor"].is_null());
  EXPECT_LT(rest.body["entries"][0]["id"].get<std::int64_t>(),
            first_page.body["entries"][3]["id"].get<std::int64_t>());
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/ledger?limit=0", "admin").status, 400);
}

TEST_P(Commerce, AfterTheWindowOnlyAnAdminRefunds) {
  const auto order = Bought("bob", "k1");
  const auto pending = Order("cid", "k2", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(pending.status, 201);
  auto unpaid = AskRefund(pending.body["order"]["id"].get<std::int64_t>(), "cid");
  EXPECT_EQ(unpaid.status, 409);
  EXPECT_EQ(unpaid.code(), "not_refundable");
  EXPECT_THAT(unpaid.message(), HasSubstr("pending"));

  clock_.advance(std::chrono::hours(24 * 7 + 1));
  auto late = AskRefund(order, "bob");
  EXPECT_EQ(late.status, 403) << late.raw.body;
  EXPECT_EQ(late.code(), "refund_window_closed");
  EXPECT_EQ(Status(order), "fulfilled");
  auto by_admin = AskRefund(order, "admin");
  ASSERT_EQ(by_admin.status, 200) << by_admin.raw.body;
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(ItemStatus("bob"), 403);
}

TEST_P(Commerce, APartlyRefundedOrderRefundsWhatRemains) {
  const auto order = Bought("bob", "k1");
  // 1.00 back from the provider's dashboard: the fee's share goes back rounded down.
  ASSERT_EQ(Webhook(Refund(order, "evt_part", 100, "sbr_dashboard")).status, 200);
  auto refunded = AskRefund(order, "bob");
  ASSERT_EQ(refunded.status, 200) << refunded.raw.body;
  EXPECT_EQ(refunded.body["refund"]["amount_minor"], 9800);
  EXPECT_EQ(Status(order), "refunded");
  std::map<std::string, std::vector<std::int64_t>> by_account;
  for (const auto& e : kernel_->commerce().ledger().entries(std::nullopt, 0, 100))
    by_account[e.account].push_back(e.amount_minor);
  // Newest first: the rest, the part, the payment.
  EXPECT_EQ(by_account["platform:fees"], (std::vector<std::int64_t>{980, 10, -990}));
  EXPECT_EQ(by_account["creator:" + std::to_string(ids_.at("ann"))],
            (std::vector<std::int64_t>{8820, 90, -8910}));
  EXPECT_EQ(by_account["provider:sandbox"], (std::vector<std::int64_t>{-9800, -100, 9900}));
}

TEST_P(Commerce, ARefundAsksTheProviderOnceAtATime) {
  const auto order = Bought("bob", "k1");
  // A request that marked the order refunding is still waiting for the provider.
  ASSERT_TRUE(kernel_->database().transact([&](sdk::db::Transaction& tx) {
    return kernel_->commerce().orders().transition(tx, order, {"fulfilled"}, "refunding");
  }));
  auto waiting = AskRefund(order, "bob");
  EXPECT_EQ(waiting.status, 202) << waiting.raw.body;
  EXPECT_EQ(waiting.body["refund"]["status"], "pending");
  EXPECT_EQ(ItemStatus("bob"), 200) << "the course stays until the refund is confirmed";
  // The provider's confirmation settles it.
  ASSERT_EQ(Webhook(Refund(order, "evt_done", 9900, "sbr_done")).status, 200);
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(ItemStatus("bob"), 403);
  // A stopped provider cannot be asked: the order is left as it is.
  const auto other = Bought("cid", "k2");
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/pay-sandbox/disable", "admin").status, 200);
  auto unavailable = AskRefund(other, "cid");
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(unavailable.code(), "provider_unavailable");
  EXPECT_EQ(Status(other), "fulfilled");
}

TEST_P(Commerce, AnUnpaidOrderExpiresAndIsStillHonouredIfPaidLater) {
  kernel_->jobs().run_due();  // the kernel's recurring jobs, first runs
  auto placed = Order("bob", "k1", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(placed.status, 201);
  const auto order = placed.body["order"]["id"].get<std::int64_t>();
  clock_.advance(std::chrono::minutes(29));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "pending") << "asked about (nothing paid) but not expired yet";
  clock_.advance(std::chrono::minutes(2));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "expired");
  // The buyer's next purchase is a new order; the old one's money, if it comes, is honoured.
  auto next = Order("bob", "k2", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(next.status, 201);
  EXPECT_NE(next.body["order"]["id"].get<std::int64_t>(), order);
  ASSERT_EQ(Webhook(Paid(order, "evt_late")).status, 200);
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(ItemStatus("bob"), 200);

  // A day later the idempotency keys are forgotten.
  auto keys = [&] {
    return kernel_->database()
        .session()
        .query_one("SELECT COUNT(*) AS n FROM lore_idempotency_keys")
        ->get<std::int64_t>("n");
  };
  EXPECT_EQ(keys(), 2);
  clock_.advance(std::chrono::hours(25));
  kernel_->jobs().run_due();
  EXPECT_EQ(keys(), 0);
}

TEST_P(Commerce, APaymentWhoseWebhookWasLostIsFoundByReconciliation) {
  kernel_->jobs().run_due();
  auto placed = Order("bob", "k1", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(placed.status, 201);
  const auto order = placed.body["order"]["id"].get<std::int64_t>();
  const auto link = placed.body["checkout"]["value"].get<std::string>();
  const auto token = link.substr(link.find("?t=") + 3);
  // The buyer pays on the sandbox's page; its webhook never reaches the kernel.
  ApiCall pay{Method::post, "/pay-sandbox/checkout/" + std::to_string(order) + "/pay", "t=" + token,
              ""};
  pay.headers["content-type"] = "application/x-www-form-urlencoded";
  auto paid = call_api(*kernel_, pay);
  EXPECT_EQ(paid.status, 502) << paid.raw.body;
  EXPECT_EQ(Status(order), "pending");
  // A minute later reconciliation does not ask yet; after two it does, and finds the payment.
  clock_.advance(std::chrono::minutes(1));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "pending");
  clock_.advance(std::chrono::minutes(1));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(orders_paid_, 1);
  EXPECT_EQ(ItemStatus("bob"), 200);
  auto row = kernel_->database().session().query_one(
      "SELECT event_id, outcome FROM lore_payment_events WHERE order_id = ?", {order});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get<std::string>("outcome"), "fulfilled");
  EXPECT_EQ(row->get<std::string>("event_id"),
            "query:" + pay_sandbox::payment_ref(order) + ":paid");
  // The webhook, delivered at last, is a duplicate of what was found.
  ASSERT_EQ(Webhook(Paid(order, "evt_finally")).status, 200);
  EXPECT_EQ(orders_paid_, 1);
}

TEST_P(Commerce, OrdersOfAStoppedProviderWaitForItThenSettle) {
  kernel_->jobs().run_due();
  auto placed = Order("bob", "k1", {{"course_id", paid_course_}, {"provider", "sandbox"}});
  ASSERT_EQ(placed.status, 201);
  const auto order = placed.body["order"]["id"].get<std::int64_t>();
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/pay-sandbox/disable", "admin").status, 200);
  clock_.advance(std::chrono::minutes(45));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "pending") << "its provider cannot be asked: it waits";
  ASSERT_EQ(Call(Method::post, "/api/v1/admin/plugins/pay-sandbox/enable", "admin").status, 200);
  clock_.advance(std::chrono::minutes(1));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "expired") << "back: asked, not paid, past its expiry";
}

TEST_P(Commerce, ARefundLeftUnconfirmedIsAskedForAgain) {
  kernel_->jobs().run_due();
  const auto order = Bought("bob", "k1");
  // The process that marked it refunding died before asking the provider.
  ASSERT_TRUE(kernel_->database().transact([&](sdk::db::Transaction& tx) {
    return kernel_->commerce().orders().transition(tx, order, {"fulfilled"}, "refunding");
  }));
  clock_.advance(std::chrono::minutes(1));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "refunding") << "not before two minutes";
  clock_.advance(std::chrono::minutes(5));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(ItemStatus("bob"), 403);
  ASSERT_EQ(refunds_.size(), 1u);
  EXPECT_EQ(kernel_->commerce().ledger().entries(std::nullopt, 0, 100).size(), 6u);
  for (const auto& balance : kernel_->commerce().ledger().balances())
    EXPECT_EQ(balance.balance_minor, 0) << balance.account;
}

TEST_P(Commerce, TheOutboxRecordsWhatCommittedForConsumersThatMustNotMissIt) {
  const auto order = Bought("bob", "k1");
  auto events = [&](const std::string& query) {
    auto answer = Call(Method::get, "/api/v1/admin/events" + query, "admin");
    EXPECT_EQ(answer.status, 200) << answer.raw.body;
    return answer.body;
  };
  EXPECT_EQ(events("")["events"].size(), 0u) << "not before they settled";
  clock_.advance(std::chrono::seconds(5));
  auto first = events("");
  ASSERT_EQ(first["events"].size(), 2u) << first.dump();
  EXPECT_EQ(first["events"][0]["topic"], "entitlement.granted");
  EXPECT_EQ(first["events"][0]["payload"]["order_id"], order);
  EXPECT_EQ(first["events"][1]["topic"], "order.paid");
  EXPECT_EQ(first["events"][1]["subject_id"], order);
  EXPECT_EQ(first["events"][1]["payload"]["order"]["status"], "fulfilled");
  const auto cursor = first["next_cursor"].get<std::string>();
  EXPECT_EQ(cursor, first["events"][1]["id"].dump());

  // The refund, read from where the consumer stopped.
  ASSERT_EQ(AskRefund(order, "bob").status, 200);
  clock_.advance(std::chrono::seconds(5));
  auto next = events("?cursor=" + cursor);
  ASSERT_EQ(next["events"].size(), 1u) << next.dump();
  EXPECT_EQ(next["events"][0]["topic"], "order.refunded");
  EXPECT_EQ(next["events"][0]["payload"]["last_refund"]["amount_minor"], 9900);
  EXPECT_EQ(next["events"][0]["payload"]["access_revoked"], true);
  auto after = events("?cursor=" + next["next_cursor"].get<std::string>());
  EXPECT_EQ(after["events"].size(), 0u);
  EXPECT_EQ(after["next_cursor"], next["next_cursor"]) << "an empty page keeps the cursor";
  EXPECT_EQ(events("?topic=order.paid")["events"].size(), 1u);
  auto bad = Call(Method::get, "/api/v1/admin/events?topic=order.shipped", "admin");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Call(Method::get, "/api/v1/admin/events", "bob").status, 403);

  // A transaction that rolls back leaves no event.
  EXPECT_THROW(kernel_->database().transact([&](sdk::db::Transaction& tx) {
    kernel_->outbox().add(tx, "order.paid", 424242, {{"order", nullptr}});
    throw std::runtime_error("rolled back");
  }),
               std::runtime_error);
  clock_.advance(std::chrono::seconds(5));
  EXPECT_EQ(events("?topic=order.paid")["events"].size(), 1u);

  // A month later the events are forgotten by the kernel's daily job.
  kernel_->jobs().run_due();
  ASSERT_EQ(kernel_->outbox().after(0, "", 100).size(), 3u);
  clock_.advance(std::chrono::hours(24 * 31));  // (the admin's session is gone by then too)
  kernel_->jobs().run_due();
  EXPECT_EQ(kernel_->outbox().after(0, "", 100).size(), 0u);
}

TEST_P(Commerce, ARefundTheProviderRefusesLeavesTheOrderAsItWas) {
  kernel_->jobs().run_due();
  const auto order = Bought("bob", "k1");
  const auto fulfilled_at = kernel_->commerce().orders().fulfilled_at(order);
  ASSERT_TRUE(fulfilled_at);
  // A refund claimed for more than was paid (as if the order's amount had been asked wrongly):
  // the sandbox refuses it when reconciliation asks again.
  ASSERT_TRUE(kernel_->database().transact([&](sdk::db::Transaction& tx) {
    return kernel_->commerce().orders().begin_refund(tx, order, 99999);
  }));
  clock_.advance(std::chrono::minutes(3));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "fulfilled") << "nothing went back";
  EXPECT_EQ(kernel_->commerce().orders().fulfilled_at(order), fulfilled_at)
      << "the refund window does not start again";
  EXPECT_EQ(ItemStatus("bob"), 200);
  EXPECT_TRUE(refunds_.empty());
  EXPECT_EQ(kernel_->commerce().ledger().entries(std::nullopt, 0, 100).size(), 3u)
      << "the payment's journal only";
}

INSTANTIATE_TEST_SUITE_P(, Commerce, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
