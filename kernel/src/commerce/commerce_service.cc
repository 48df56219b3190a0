#include "commerce/commerce_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

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
// An unpaid order stops being payable after this long; the buyer places another.
constexpr std::int64_t kOrderLifetimeMs = 30 * 60 * 1000;
// A request that claimed an order's checkout and has not finished after this long is gone.
constexpr std::int64_t kCheckoutClaimMs = 60 * 1000;

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
                                 const ServiceRegistry& services, HookBus& hooks,
                                 CatalogService& catalog,
                                 std::function<bool(const std::string&)> installed)
    : database_(database),
      clock_(clock),
      services_(services),
      hooks_(hooks),
      catalog_(catalog),
      orders_(database, clock),
      keys_(database, clock),
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
    if (!ordered) keys_.release(user_id, kOrdersRoute, *key);
    throw;
  }
  keys_.finish(user_id, kOrdersRoute, *key, response);
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
    return orders_.create(tx, {buyer.user_id, course_id, course->title, course->price,
                               provider_name, "pending", clock_.now_ms() + kOrderLifetimeMs});
  });
  ordered = true;
  if (existing) {
    auto view = this->view(order);
    if (!view["checkout"].is_null()) return sh::Response::json(view, 200);
  }
  // One request at a time starts the provider's payment session, so that one order never has
  // two sessions a buyer could both pay.
  const bool reserved = database_.transact([&](db::Transaction& tx) {
    return orders_.reserve_checkout(tx, order.id, clock_.now_ms() - kCheckoutClaimMs);
  });
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
    return sh::Response::failure(
        502, "provider_error",
        "the payment provider '" + provider_name + "' could not start the payment: " +
            (failure->error ? failure->error->message : std::string("no details")),
        {{"order_id", order.id}});
  }
  database_.transact([&](db::Transaction& tx) { orders_.set_checkout(tx, order.id, checkout); });
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
    case Kind::paid: {
      if (event.amount != order->price) return "amount_mismatch";
      // Money that arrived is honoured even for an order withdrawn or expired meanwhile.
      if (!orders_.transition(tx, order->id, {"pending", "cancelled", "expired"}, "paid"))
        return !event.provider_ref.empty() && !order->provider_ref.empty() &&
                       event.provider_ref != order->provider_ref
                   ? "paid_twice"
                   : "already_paid";
      // A refund the provider reported before the payment (deliveries come in any order).
      if (tx.query_one("SELECT event_id FROM lore_payment_events WHERE provider = ? AND "
                       "order_id = ? AND outcome = 'refund_before_payment' LIMIT 1",
                       {provider, order->id})) {
        orders_.transition(tx, order->id, {"paid"}, "refunded");
        return "refunded_before_fulfilment";
      }
      lock_course(tx, order->course_id);
      const auto granted =
          catalog_.grant(tx, {order->user_id, order->course_id, "purchase", 0, 0}, order->id)
              .second;
      if (!orders_.transition(tx, order->id, {"paid"}, "fulfilled"))
        throw db::Error(db::ErrorKind::conflict, "the order moved while it was fulfilled");
      auto settled = *order;
      settled.status = "fulfilled";
      tx.after_commit(
          [this, settled] { hooks_.fire(sdk::hooks::order_paid, sdk::OrderPaid{settled}); });
      return granted ? "fulfilled" : "fulfilled_already_owned";
    }
    case Kind::refunded: {
      if (order->status == "pending" || order->status == "cancelled" || order->status == "expired")
        return "refund_before_payment";  // the payment, when it comes, is refunded at once
      if (event.amount.currency != order->price.currency || event.amount.amount_minor <= 0 ||
          event.amount.amount_minor > order->price.amount_minor)
        return "refund_mismatch";
      // Part of the money back: the buyer keeps the course.
      if (event.amount.amount_minor < order->price.amount_minor) return "partial_refund";
      if (!orders_.transition(tx, order->id, {"fulfilled"}, "refunded")) return "not_refundable";
      // The course goes back only when this purchase is what gave it: not while another paid
      // order of the buyer does, nor an admin's grant.
      lock_course(tx, order->course_id);
      const auto entitlement = catalog_.entitlements().find(tx, order->user_id, order->course_id);
      if (entitlement && entitlement->source == "purchase" &&
          !orders_.other_fulfilled(tx, order->user_id, order->course_id, order->id))
        catalog_.revoke(tx, order->user_id, order->course_id);
      return "refunded";
    }
    case Kind::other: break;
  }
  return "ignored";
}

}  // namespace lore
