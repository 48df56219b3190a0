#include "commerce/commerce_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/sha256.h"
#include "http/pipeline.h"
#include "lore/sdk/hooks.h"
#include "lore/sdk/text.h"
#include "lore/sdk/type_name.h"

namespace lore {

namespace db = sdk::db;
namespace sh = sdk::http;
namespace payments = sdk::payments;

namespace {

constexpr const char* kOrdersRoute = "POST /api/v1/orders";
constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;
// An order whose provider stays stopped this long past its expiry expires without asking.
constexpr std::int64_t kProviderWaitMs = 7 * kDayMs;

void lock_buyer(db::Transaction& tx, std::int64_t user_id) {
  tx.query_one("SELECT id FROM lore_users WHERE id = ?" + std::string(db::row_lock(tx.dialect())),
               {user_id});
}

void lock_course(db::Transaction& tx, std::int64_t course_id) {
  tx.query_one("SELECT id FROM lore_courses WHERE id = ?" + std::string(db::row_lock(tx.dialect())),
               {course_id});
}

// What a path segment may say in a log line: anyone can send any provider name.
std::string loggable(const std::string& name) {
  const bool plain =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  return plain ? name : std::string("(a malformed name)");
}

const char* kind_name(payments::PaymentEvent::Kind kind) {
  using Kind = payments::PaymentEvent::Kind;
  switch (kind) {
    case Kind::paid: return "paid";
    case Kind::failed: return "failed";
    case Kind::refunded: return "refunded";
    case Kind::other: return "other";
  }
  return "other";
}

// An answer as it will be sent, error envelope rendered, so a replay is byte for byte the same.
sh::Response rendered(sh::Response response, const std::string& request_id) {
  if (response.error) {
    response.body = render_error_body(*response.error, request_id);
    response.content_type = "application/json";
    response.error.reset();
  }
  return response;
}

}  // namespace

CommerceService::CommerceService(db::Database& database, const sdk::Clock& clock,
                                 const ServiceRegistry& services, CatalogService& catalog,
                                 Outbox& outbox, const CommerceConfig& config,
                                 std::function<bool(const std::string&)> installed)
    : database_(database),
      clock_(clock),
      services_(services),
      catalog_(catalog),
      outbox_(outbox),
      config_(config),
      orders_(database, clock),
      keys_(database, clock, config.claim_timeout_ms),
      ledger_(database, clock, config.platform_fee_basis_points),
      installed_(std::move(installed)) {}

std::vector<std::string> CommerceService::provider_names() const {
  return services_.names(payments::PaymentProvider::kServiceKind);
}

std::shared_ptr<payments::PaymentProvider> CommerceService::provider(
    const std::string& name) const {
  return std::static_pointer_cast<payments::PaymentProvider>(services_.find(
      payments::PaymentProvider::kServiceKind, sdk::type_name<payments::PaymentProvider>(), name));
}

nlohmann::json CommerceService::view(const Order& order) {
  nlohmann::json checkout = nullptr;
  if (order.status == "pending")
    if (auto c = orders_.checkout_of(order.id)) checkout = {{"kind", c->kind}, {"value", c->value}};
  return {{"order", order}, {"checkout", checkout}};
}

sh::Response CommerceService::place_order(const sh::Request& request) {
  const auto* key = request.header("idempotency-key");
  if (key == nullptr)
    throw sh::Error(400, "idempotency_key_required",
                    "send an Idempotency-Key header (a unique value per purchase, reused on "
                    "retries) so that a retried request never buys twice");
  if (!IdempotencyStore::acceptable_key(*key))
    throw sh::Error(400, "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 printable ASCII characters");
  const auto user_id = request.principal->user_id;
  const auto fingerprint = sha256_hex(request.body);
  auto claim = keys_.claim(user_id, kOrdersRoute, *key, fingerprint);
  if (claim.answer) return *claim.answer;
  sh::Response response;
  bool ordered = false;
  try {
    response = rendered(create_order(request, ordered), request.request_id);
  } catch (...) {
    // Refused before an order existed (bad input, nothing to sell, a database outage): the
    // client may fix the request and send it again with the same key. Once an order exists the
    // claim stays: a retry after it goes stale finds that same order.
    if (!ordered) keys_.release(user_id, kOrdersRoute, *key, claim.owner);
    throw;
  }
  if (!keys_.finish(user_id, kOrdersRoute, *key, claim.owner, response))
    // Taken over by a retry meanwhile (this request outlived the claim timeout): that retry's
    // answer is the key's. Both found the same order (one open order per buyer and course).
    spdlog::warn(
        "idempotency key of user {} was taken over while its request ran; the "
        "retry's answer is kept",
        user_id);
  return response;
}

sh::Response CommerceService::create_order(const sh::Request& request, bool& ordered) {
  const auto body = sh::parse_json_object_body(request);
  const auto& buyer = *request.principal;
  std::vector<sh::FieldError> problems;
  std::int64_t course_id = 0;
  if (!body.contains("course_id"))
    problems.push_back({"course_id", "required", "course_id is required"});
  else if (!body["course_id"].is_number_integer() || body["course_id"].get<std::int64_t>() <= 0)
    problems.push_back({"course_id", "invalid_type", "course_id must be a course's id"});
  else
    course_id = body["course_id"].get<std::int64_t>();
  std::string provider_name;
  if (body.contains("provider") && !body["provider"].is_null()) {
    if (!body["provider"].is_string())
      problems.push_back({"provider", "invalid_type", "provider must be a string"});
    else
      provider_name = body["provider"].get<std::string>();
  }
  if (!problems.empty()) throw sh::invalid_fields(std::move(problems));

  const auto course = catalog_.courses().find(course_id);
  if (!course || course->status == "draft") throw sh::Error(404, "not_found", "no such course");
  if (course->archived())
    throw sh::Error(409, "not_for_sale", "this course is archived and no longer sold");
  if (auto owned = catalog_.entitlements().find(buyer.user_id, course_id);
      owned && owned->live(clock_.now_ms()))
    throw sh::Error(409, "already_owned", "you own this course already", {{"entitlement", *owned}});

  if (course->price.free()) {
    // Nothing to pay: the order is settled at once, with the entitlement, in one transaction.
    auto [order, entitlement] = database_.transact([&](db::Transaction& tx) {
      lock_buyer(tx, buyer.user_id);
      if (auto owned = catalog_.entitlements().find(tx, buyer.user_id, course_id);
          owned && owned->live(clock_.now_ms()))
        throw sh::Error(409, "already_owned", "you own this course already");
      auto free_order = orders_.create(tx, {buyer.user_id, course_id, course->title, course->price,
                                            "free", "fulfilled", clock_.now_ms()});
      auto granted =
          catalog_.grant(tx, {buyer.user_id, course_id, "purchase", 0, 0}, free_order.id);
      outbox_.publish(tx, sdk::hooks::order_paid, free_order.id, sdk::OrderPaid{free_order});
      return std::pair{free_order, granted.first};
    });
    return sh::Response::json(
        {{"order", order}, {"checkout", nullptr}, {"entitlement", entitlement}}, 201);
  }

  if (provider_name.empty())
    throw sh::invalid_fields(
        {{"provider", "required",
          "a paid course needs a provider; running: " + sdk::text::join(provider_names())}});
  auto provider = this->provider(provider_name);
  if (!provider) {
    const auto names = provider_names();
    throw sh::invalid_fields({{"provider", "unknown_provider",
                               "no running payment provider '" + provider_name + "'; " +
                                   (names.empty() ? "none is running (enable a payment plugin)"
                                                  : "running: " + sdk::text::join(names))}});
  }

  bool existing = false;
  auto order = database_.transact([&](db::Transaction& tx) {
    existing = false;  // the lambda runs again after a conflict
    // One open order per buyer and course: a second click, or a retry with a new key, gets
    // the same order. The buyer's row serialises them.
    lock_buyer(tx, buyer.user_id);
    if (auto open = orders_.open_order(tx, buyer.user_id, course_id)) {
      if (open->provider == provider_name && open->price == course->price) {
        existing = true;
        return *open;
      }
      // Another provider or price now: the old order is withdrawn (unless paid meanwhile,
      // which the conditional update sees; its payment then settles it all the same).
      orders_.transition(tx, open->id, {"pending"}, "cancelled");
    }
    return orders_.create(
        tx, {buyer.user_id, course_id, course->title, course->price, provider_name, "pending",
             clock_.now_ms() + config_.order_lifetime_ms});
  });
  ordered = true;
  if (existing) {
    auto view = this->view(order);
    if (!view["checkout"].is_null()) return sh::Response::json(view, 200);
  }
  // One request at a time starts the provider's payment session, so that one order never has
  // two sessions a buyer could both pay.
  const bool reserved =
      orders_.reserve_checkout(order.id, clock_.now_ms() - config_.claim_timeout_ms);
  if (!reserved) {
    if (auto current = orders_.find(order.id)) {
      auto view = this->view(*current);
      if (!view["checkout"].is_null()) return sh::Response::json(view, 200);
    }
    throw sh::Error(409, "request_in_progress",
                    "this order's payment is being started by another request; retry shortly",
                    {{"order_id", order.id}, {"retry_after_s", 1}});
  }

  payments::Checkout checkout;
  if (auto failure = provider->create_checkout(order, checkout)) {
    // Nothing was charged: the order is withdrawn, and the answer (kept for the key) says why.
    database_.transact(
        [&](db::Transaction& tx) { orders_.transition(tx, order.id, {"pending"}, "cancelled"); });
    spdlog::warn("order {}: provider {} could not start a checkout: {} {}", order.id, provider_name,
                 failure->status, failure->error ? failure->error->message : failure->body);
    const auto why = failure->error ? failure->error->message : std::string("no details");
    // A 400 or 422 is the provider refusing this order (a currency it does not take...): the
    // buyer's request cannot succeed as it is, so it is answered as such, with the provider's
    // code. Anything else (its own 409, 401, 5xx...) is the provider failing: 502.
    if ((failure->status == 400 || failure->status == 422) && failure->error)
      return sh::Response::failure(
          failure->status, failure->error->code,
          "the payment provider '" + provider_name + "' cannot take this order: " + why,
          {{"order_id", order.id}});
    return sh::Response::failure(
        502, "provider_error",
        "the payment provider '" + provider_name + "' could not start the payment: " + why,
        {{"order_id", order.id}});
  }
  if (!orders_.set_checkout(order.id, checkout)) {
    // The order moved while the provider started its payment: a newer order of the same course
    // withdrew it. Its checkout is not shown, so the buyer pays only the newer one (a payment
    // through this one would still be honoured, and flagged).
    auto current = orders_.find(order.id);
    if (current && current->status != "cancelled") return sh::Response::json(view(*current), 200);
    spdlog::info("order {} was withdrawn while provider {} started its payment", order.id,
                 provider_name);
    throw sh::Error(409, "order_withdrawn",
                    "this order was replaced by a newer one of the same course while its payment "
                    "started; pay the newer one",
                    {{"order_id", order.id}});
  }
  return sh::Response::json(
      {{"order", order}, {"checkout", {{"kind", checkout.kind}, {"value", checkout.value}}}},
      existing ? 200 : 201);
}

sh::Response CommerceService::receive_webhook(const std::string& provider_name,
                                              const sh::Request& request) {
  auto provider = this->provider(provider_name);
  if (!provider && !(installed_ && installed_(provider_name))) {
    spdlog::warn("webhook for unknown payment provider '{}' refused", loggable(provider_name));
    return sh::Response::failure(404, "unknown_provider",
                                 "no installed plugin provides the payment provider '" +
                                     provider_name + "'; check the webhook URL");
  }
  if (!provider) {
    // The plugin may be stopped for a while: the provider keeps the event and sends it again.
    spdlog::warn("webhook for payment provider '{}' refused: it is not running",
                 loggable(provider_name));
    auto r = sh::Response::failure(503, "provider_unavailable",
                                   "payment provider '" + provider_name + "' is not running");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  payments::Webhook webhook;
  if (auto failure = provider->parse_webhook(request, webhook)) {
    spdlog::warn("webhook for {} refused ({} {}): {}", loggable(provider_name), failure->status,
                 failure->error ? failure->error->code : std::string(),
                 failure->error ? failure->error->message : failure->body);
    return *failure;
  }
  try {
    for (const auto& event : webhook.events) apply_event(provider_name, event);
  } catch (const db::Error& e) {
    if (e.kind() != db::ErrorKind::conflict) throw;
    // Still deadlocked after the retries: the provider sends it again later; events applied
    // already are found as duplicates then.
    spdlog::warn("webhook for {}: {}; asked to retry", provider_name, e.what());
    auto r = sh::Response::failure(503, "busy", "the event could not be recorded now; retry");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  return webhook.acknowledgement;
}

std::string CommerceService::apply_event(const std::string& provider,
                                         const payments::PaymentEvent& event) {
  if (event.id.empty() || event.id.size() > 255)
    throw sh::Error(400, "malformed_event", "an event without a usable id cannot be deduplicated");
  if (event.provider_ref.size() > 255)
    throw sh::Error(400, "malformed_event", "an event's provider reference is at most 255 bytes");
  std::string outcome;
  database_.transact([&](db::Transaction& tx) {
    // The event's row is the proof it was processed: inserted with what it did, in the same
    // transaction. A duplicate (or a concurrent copy) finds the key taken and does nothing.
    if (!tx.try_insert("INSERT INTO lore_payment_events (provider, event_id, order_id, kind, "
                       "outcome, received_at) VALUES (?, ?, ?, ?, 'processing', ?)",
                       {provider, event.id, event.order_id ? db::Value(event.order_id) : nullptr,
                        std::string(kind_name(event.kind)), clock_.now_ms()})) {
      outcome = "duplicate";
      return;
    }
    outcome = settle(tx, provider, event);
    tx.execute("UPDATE lore_payment_events SET outcome = ? WHERE provider = ? AND event_id = ?",
               {outcome, provider, event.id});
  });
  if (outcome == "amount_mismatch" || outcome == "unknown_order" || outcome == "wrong_provider" ||
      outcome == "refund_mismatch")
    spdlog::error("payment event {} {} ({}) for order {}: {}: nothing changed [{}]", provider,
                  event.id, kind_name(event.kind), event.order_id, outcome, event.summary);
  else if (outcome == "paid_twice" || outcome == "fulfilled_already_owned")
    spdlog::error(
        "payment event {} {} ({}) for order {}: {}: the buyer paid for what they had "
        "already; refund it [{}]",
        provider, event.id, kind_name(event.kind), event.order_id, outcome, event.summary);
  else
    spdlog::info("payment event {} {} ({}) for order {}: {} [{}]", provider, event.id,
                 kind_name(event.kind), event.order_id, outcome, event.summary);
  return outcome;
}

std::string CommerceService::settle(db::Transaction& tx, const std::string& provider,
                                    const payments::PaymentEvent& event) {
  using Kind = payments::PaymentEvent::Kind;
  if (event.kind == Kind::other) return "ignored";
  // Locks in one order everywhere (buyer, order, course), so that a purchase and a webhook of
  // the same buyer wait for each other instead of deadlocking.
  const auto buyer = event.order_id ? orders_.buyer_of(tx, event.order_id) : std::nullopt;
  if (!buyer) return "unknown_order";
  lock_buyer(tx, *buyer);
  auto order = orders_.find_for_update(tx, event.order_id);
  if (!order) return "unknown_order";
  if (order->provider != provider) return "wrong_provider";
  switch (event.kind) {
    case Kind::failed:
      // The buyer may try again until the order expires: nothing changes.
      return order->status == "pending" ? "payment_failed" : "stale_failure";
    case Kind::paid:
      if (event.amount != order->price) return "amount_mismatch";
      // Money that arrived is honoured even for an order withdrawn or expired meanwhile.
      if (!orders_.transition(tx, order->id, {"pending", "cancelled", "expired"}, "paid"))
        return !event.provider_ref.empty() && !order->provider_ref.empty() &&
                       event.provider_ref != order->provider_ref
                   ? "paid_twice"
                   : "already_paid";
      return fulfil(tx, *order);
    case Kind::refunded: return settle_refund(tx, provider, *order, event);
    case Kind::other: break;
  }
  return "ignored";
}

std::string CommerceService::fulfil(db::Transaction& tx, const Order& order) {
  // Refunds the provider reported before the payment (deliveries come in any order) were
  // recorded then; the ledger shows the money coming and going.
  const auto early = orders_.refunded(tx, order.id);
  if (early >= order.price.amount_minor) {
    // All of it went back: the course is not given.
    if (!orders_.transition(tx, order.id, {"paid"}, "refunded"))
      throw db::Error(db::ErrorKind::conflict, "the order moved while it was refunded");
    ledger_.record_payment(tx, order);
    ledger_.record_refund(tx, order, "before-fulfilment", 0, order.price.amount_minor);
    return "refunded_before_fulfilment";
  }
  lock_course(tx, order.course_id);
  const auto granted =
      catalog_.grant(tx, {order.user_id, order.course_id, "purchase", 0, 0}, order.id).second;
  if (!orders_.transition(tx, order.id, {"paid"}, "fulfilled"))
    throw db::Error(db::ErrorKind::conflict, "the order moved while it was fulfilled");
  ledger_.record_payment(tx, order);
  // Part of it went back first: the buyer keeps the course, as after a partial refund.
  if (early > 0) ledger_.record_refund(tx, order, "before-fulfilment", 0, early);
  auto settled = order;
  settled.status = "fulfilled";
  outbox_.publish(tx, sdk::hooks::order_paid, settled.id, sdk::OrderPaid{settled});
  return granted ? "fulfilled" : "fulfilled_already_owned";
}

std::string CommerceService::settle_refund(db::Transaction& tx, const std::string& provider,
                                           const Order& order,
                                           const payments::PaymentEvent& event) {
  if (order.status == "refunded") return "already_refunded";
  const bool before_payment =
      order.status == "pending" || order.status == "cancelled" || order.status == "expired";
  const auto before = orders_.refunded(tx, order.id);
  if (event.amount.currency != order.price.currency || event.amount.amount_minor <= 0 ||
      event.amount.amount_minor > order.price.amount_minor - before)
    return "refund_mismatch";
  // One refund, however many times and ways it is reported: the kernel's own request and the
  // provider's webhook name it by the same reference.
  const auto reference = event.provider_ref.empty() ? "event:" + event.id : event.provider_ref;
  if (!orders_.note_refund(tx, provider, reference, order.id, event.amount))
    return "refund_already_recorded";
  // Recorded; the payment, when it comes, takes it into account (fulfil).
  if (before_payment) return "refund_before_payment";
  ledger_.record_refund(tx, order, reference, before, event.amount.amount_minor);
  // Part of the money back: the buyer keeps the course.
  if (before + event.amount.amount_minor < order.price.amount_minor) return "partial_refund";
  if (!orders_.transition(tx, order.id, {"fulfilled", "refunding"}, "refunded"))
    throw db::Error(db::ErrorKind::conflict, "the order moved while it was refunded");
  // The course goes back only when this purchase is what gave it: not while another paid
  // order of the buyer does, nor an admin's grant.
  lock_course(tx, order.course_id);
  const auto entitlement = catalog_.entitlements().find(tx, order.user_id, order.course_id);
  const bool revoked = entitlement && entitlement->source == "purchase" &&
                       !orders_.other_fulfilled(tx, order.user_id, order.course_id, order.id) &&
                       catalog_.revoke(tx, order.user_id, order.course_id);
  auto refunded = order;
  refunded.status = "refunded";
  outbox_.publish(tx, sdk::hooks::order_refunded, refunded.id,
                  sdk::OrderRefunded{refunded, event.amount, revoked});
  return "refunded";
}

sh::Response CommerceService::refund_order(const sh::Request& request, std::int64_t order_id) {
  // Asked again while the provider has yet to confirm: nothing more happens.
  auto in_progress = [](const Order& order) {
    return sh::Response::json({{"order", order}, {"refund", {{"status", "pending"}}}}, 202);
  };
  auto order = orders_.find(order_id);
  if (!order) throw sh::Error(404, "not_found", "no such order");
  if (order->provider == "free" || order->price.free())
    throw sh::Error(409, "not_refundable", "nothing was paid for this order");
  if (order->status == "refunded")
    throw sh::Error(409, "already_refunded", "this order was refunded already");
  if (order->status == "refunding") return in_progress(*order);
  if (order->status != "fulfilled")
    throw sh::Error(409, "not_refundable",
                    "only a paid order can be refunded; this one is " + order->status);
  if (!request.principal->has_role("admin")) {
    if (config_.refund_window_days == 0)
      throw sh::Error(403, "refund_window_closed",
                      "refunds on this site are given by its admins; contact them");
    const auto since = orders_.fulfilled_at(order_id).value_or(order->created_at_ms);
    const auto until = since + config_.refund_window_days * kDayMs;
    if (clock_.now_ms() > until)
      throw sh::Error(403, "refund_window_closed",
                      "the " + std::to_string(config_.refund_window_days) +
                          "-day refund window of this order has closed; contact the site's admins",
                      {{"refundable_until", sdk::rfc3339(until)}});
  }
  auto provider = this->provider(order->provider);
  if (!provider) {
    auto r = sh::Response::failure(503, "provider_unavailable",
                                   "payment provider '" + order->provider +
                                       "' is not running; the refund can be asked again later");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  // Claimed by one request: a second click finds the order refunding. The amount is fixed now
  // and kept with the order: asked again later, the provider sees the same id and amount.
  std::int64_t remaining = 0;
  const bool claimed = database_.transact([&](db::Transaction& tx) {
    lock_buyer(tx, order->user_id);
    auto locked = orders_.find_for_update(tx, order_id);
    if (!locked || locked->status != "fulfilled") return false;
    remaining = order->price.amount_minor - orders_.refunded(tx, order_id);
    return orders_.begin_refund(tx, order_id, remaining);
  });
  if (!claimed) {
    auto now = orders_.find(order_id);
    if (now && now->status == "refunding") return in_progress(*now);
    throw sh::Error(409, "not_refundable",
                    "the order changed meanwhile; it is " + (now ? now->status : "gone"));
  }
  order->status = "refunding";
  spdlog::info("refund of order {} ({} {}) asked by user {}", order_id, remaining,
               order->price.currency, request.principal->user_id);
  const auto step = ask_for_refund(*provider, *order, remaining);
  auto now = orders_.find(order_id);
  nlohmann::json refund = {{"amount_minor", remaining}, {"currency", order->price.currency}};
  switch (step.kind) {
    case RefundStep::Kind::settled:
      refund["status"] = "succeeded";
      refund["provider_ref"] = step.reference;
      refund["outcome"] = step.outcome;
      return sh::Response::json({{"order", now ? *now : *order}, {"refund", refund}});
    case RefundStep::Kind::refused:
      throw sh::Error(409, "refund_refused",
                      "the payment provider refused the refund: " + step.message);
    case RefundStep::Kind::pending:
      // The provider's `refunded` event, or the kernel asking again, settles it; until then
      // the buyer keeps the course.
      refund["status"] = "pending";
      if (!step.message.empty()) refund["detail"] = step.message;
      return sh::Response::json({{"order", now ? *now : *order}, {"refund", refund}}, 202);
  }
  throw std::logic_error("unreachable");
}

CommerceService::RefundStep CommerceService::ask_for_refund(payments::PaymentProvider& provider,
                                                            const Order& order,
                                                            std::int64_t amount_minor) {
  // The same refund id every time: the provider refunds once, however often it is asked.
  const payments::RefundRequest ask{
      order, {amount_minor, order.price.currency}, "lore-refund-" + std::to_string(order.id)};
  payments::RefundResult result;
  RefundStep step;
  if (auto failure = provider.refund(ask, result)) {
    // Unreachable, or an error: whether it refunded is unknown. The order stays refunding and
    // is asked again (reconciliation), never put back as if nothing had gone.
    step.kind = RefundStep::Kind::pending;
    step.message = "the payment provider could not be asked (" +
                   (failure->error ? failure->error->message : failure->body) +
                   "); it is asked again within minutes";
    spdlog::warn("refund of order {} at {}: {}", order.id, order.provider, step.message);
    orders_.touch(order.id);
    return step;
  }
  switch (result.kind) {
    case payments::RefundResult::Kind::failed:
      // Refused: nothing went back, the order is as before (its refund window unchanged).
      database_.transact([&](db::Transaction& tx) {
        orders_.transition(tx, order.id, {"refunding"}, "fulfilled");
      });
      step.kind = RefundStep::Kind::refused;
      step.message = result.message;
      spdlog::warn("refund of order {} refused by {}: {}", order.id, order.provider,
                   result.message);
      return step;
    case payments::RefundResult::Kind::pending:
      step.kind = RefundStep::Kind::pending;
      orders_.touch(order.id);
      return step;
    case payments::RefundResult::Kind::succeeded: break;
  }
  // Applied like the provider's own event, so its webhook later (under the same reference) is
  // recognised and changes nothing.
  payments::PaymentEvent confirmed;
  confirmed.provider_ref = result.provider_ref.empty() ? ask.refund_id : result.provider_ref;
  // An event id is at most 255 bytes: a long reference is named by its digest.
  confirmed.id =
      "refund:" + (confirmed.provider_ref.size() <= 240 ? confirmed.provider_ref
                                                        : sha256_hex(confirmed.provider_ref));
  confirmed.kind = payments::PaymentEvent::Kind::refunded;
  confirmed.order_id = order.id;
  confirmed.amount = ask.amount;
  confirmed.summary = "refund asked by the kernel";
  step.reference = confirmed.provider_ref;
  step.outcome = apply_event(order.provider, confirmed);
  if (step.outcome == "refunded" || step.outcome == "already_refunded") {
    step.kind = RefundStep::Kind::settled;
    return step;
  }
  // The provider refunded, but the kernel cannot match it (a refund made elsewhere meanwhile
  // changed what was left): logged for a person to look at; the order stays refunding.
  step.kind = RefundStep::Kind::pending;
  step.message = "the provider confirmed the refund but it could not be applied (" + step.outcome +
                 "); the site's admins were alerted";
  spdlog::error("refund of order {} confirmed by {} as {} but not applied: {}; check it by hand",
                order.id, order.provider, step.reference, step.outcome);
  orders_.touch(order.id);
  return step;
}

std::int64_t CommerceService::ask_again_for_refunds(
    int limit, std::chrono::steady_clock::time_point deadline) {
  std::int64_t settled = 0;
  for (const auto& order :
       orders_.refunding_since(clock_.now_ms() - config_.reconcile_after_ms, limit)) {
    if (std::chrono::steady_clock::now() > deadline) break;
    auto provider = this->provider(order.provider);
    if (!provider) {
      orders_.touch(order.id);  // it waits for its provider; the others go first meanwhile
      continue;
    }
    auto amount = orders_.refund_asked(order.id);
    if (amount <= 0) {
      // Refunding without a recorded amount (marked by hand): what is left.
      amount = database_.transact([&](db::Transaction& tx) {
        return order.price.amount_minor - orders_.refunded(tx, order.id);
      });
    }
    if (ask_for_refund(*provider, order, amount).kind == RefundStep::Kind::settled) ++settled;
  }
  return settled;
}

CommerceService::Reconciled CommerceService::reconcile(int limit) {
  Reconciled done;
  const auto now = clock_.now_ms();
  // Well inside the job's lease, however slow the providers answer: what is left waits for
  // the next pass (the least recently asked go first).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  done.settled += static_cast<int>(ask_again_for_refunds(limit, deadline));
  for (const auto& order : orders_.to_reconcile(now - config_.reconcile_after_ms, limit)) {
    if (std::chrono::steady_clock::now() > deadline) break;
    const bool past_expiry = order.expires_at_ms <= now;
    auto expire = [&] {
      if (database_.transact([&](db::Transaction& tx) {
            return orders_.transition(tx, order.id, {"pending"}, "expired");
          })) {
        ++done.expired;
        spdlog::info("order {} expired unpaid", order.id);
      }
    };
    auto provider = this->provider(order.provider);
    if (!provider) {
      // Its plugin is stopped: the order waits for it (its webhooks are refused meanwhile, so
      // the provider sends them again once it is back).
      if (order.expires_at_ms + kProviderWaitMs <= now) {
        expire();
      } else {
        ++done.waiting;
        orders_.touch(order.id);
      }
      continue;
    }
    ++done.asked;
    payments::PaymentState state;
    if (auto failure = provider->query_payment(order, state)) {
      spdlog::warn("order {}: provider {} could not say how its payment stands: {}", order.id,
                   order.provider, failure->error ? failure->error->message : failure->body);
      // Asked again at the next pass; a day past its expiry it expires all the same (money
      // that still arrives is honoured, as for any expired order).
      if (order.expires_at_ms + kDayMs <= now)
        expire();
      else
        orders_.touch(order.id);
      continue;
    }
    if (state.kind == payments::PaymentState::Kind::paid) {
      payments::PaymentEvent found;
      found.id =
          state.event_id.empty() ? "query:" + std::to_string(order.id) + ":paid" : state.event_id;
      found.kind = payments::PaymentEvent::Kind::paid;
      found.order_id = order.id;
      found.amount = state.amount;
      found.provider_ref = state.provider_ref;
      found.summary = "found by reconciliation";
      const auto outcome = apply_event(order.provider, found);
      if (outcome != "duplicate" && outcome != "amount_mismatch") {
        ++done.settled;
        continue;
      }
      // A payment that did not settle it (logged): the order goes on as if unpaid.
    }
    if (past_expiry)
      expire();
    else
      orders_.touch(order.id);
  }
  return done;
}

}  // namespace lore
