// pay-stripe: the payment provider "stripe". A checkout is a Stripe Checkout Session (the
// buyer is sent to Stripe's page); its webhook events are verified with the Stripe-Signature
// scheme (timestamp tolerance, several secrets during a rotation) before anything in them is
// believed; reconciliation reads the session; refunds go through the Refunds API with the
// kernel's refund id as the idempotency key. Every call to Stripe is form-encoded over HTTPS
// with libcurl, authenticated by the secret key, pinned to one API version.
#include <lore/sdk.h>
#include <lore/sdk/detachable_context.h>
#include <lore/sdk/outbound_http.h>
#include <lore/sdk/webhook_signature.h>

#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stripe_api.h"

namespace {

using namespace lore::sdk;
namespace st = pay_stripe;

constexpr std::string_view kProviderName = "stripe";

struct Config {
  std::string secret_key;
  std::vector<std::string> webhook_secrets;  // current, then previous during a rotation
  std::string api_base;                      // without a trailing '/'
  st::CheckoutUrls urls;
  std::int64_t tolerance_s = 300;
  long timeout_ms = 15000;
};

// The provider may outlive this instance (see DetachableContext).
class Runtime : public DetachableContext {
 public:
  Runtime(Context& ctx, Config config)
      : DetachableContext(ctx, "the Stripe payment provider"), config_(std::move(config)) {}
  const Config& config() const noexcept { return config_; }

 private:
  const Config config_;
};

// Stripe's ids are [A-Za-z0-9_]: anything else in a path segment is refused rather than sent.
bool plain_id(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  for (const char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// Why a webhook's signature is refused, or nothing when it verifies.
std::optional<http::Error> signature_refusal(webhook_signature::SignatureCheck check,
                                             std::int64_t tolerance_s) {
  switch (check) {
    case webhook_signature::SignatureCheck::malformed_header:
      return http::Error(400, "bad_signature_header",
                         "the Stripe-Signature header is missing or malformed (expected t=<unix "
                         "seconds>,v1=<hex HMAC-SHA-256>)");
    case webhook_signature::SignatureCheck::stale:
      return http::Error(401, "stale_signature",
                         "the webhook's signature timestamp is more than " +
                             std::to_string(tolerance_s) + " s from now");
    case webhook_signature::SignatureCheck::bad_signature:
      return http::Error(401, "bad_signature",
                         "no v1 signature of the webhook matches the endpoint's signing secret");
    case webhook_signature::SignatureCheck::ok: break;
  }
  return std::nullopt;
}

class StripeProvider final : public payments::PaymentProviderBase {
 public:
  explicit StripeProvider(std::shared_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {}

  std::string_view description() const noexcept override {
    return "Stripe: Checkout Sessions (cards, wallets, bank debits) and Refunds";
  }

 protected:
  payments::Checkout checkout(const payments::Order& order) override {
    if (order.id <= 0) throw http::Error(400, "invalid_order", "the order has no id");
    if (order.price.amount_minor <= 0)
      throw http::Error(400, "invalid_amount", "Stripe takes only positive amounts");
    return runtime_->with([&](Context& ctx) {
      const auto form = st::checkout_session_form(order, runtime_->config().urls);
      // The same key for every attempt of this order: a retry after a lost answer gets the
      // session Stripe made the first time instead of a second one the buyer could pay too.
      const auto reply = call(
          ctx, "POST", "/v1/checkout/sessions", form,
          "lore-checkout-" + std::to_string(order.id) + "-" + std::to_string(order.created_at_ms));
      if (!reply.ok()) refused(ctx, "checkout of order " + std::to_string(order.id), reply);
      return st::checkout_of(reply.body);
    });
  }

  payments::Webhook verify(const http::Request& request) override {
    return runtime_->with([&](Context& ctx) {
      const auto& config = runtime_->config();
      if (auto refusal = signature_refusal(
              webhook_signature::check_signature(request.header(st::kSignatureHeaderLower),
                                                 request.body, ctx.clock().now_ms() / 1000,
                                                 config.tolerance_s, config.webhook_secrets),
              config.tolerance_s)) {
        ctx.log().warn("webhook refused (request " + request.request_id + "): " + refusal->code());
        throw *refusal;
      }
      auto parsed = st::parse_event(request.body);
      if (parsed.refund_failed)
        ctx.log().error("Stripe reports refund " + parsed.event.provider_ref + " (order " +
                        std::to_string(parsed.event.order_id) +
                        ") failed or canceled: the money went back to the merchant, while Lore "
                        "may have refunded the order; look at it in Stripe's dashboard");
      if (parsed.untraced)
        parsed.event.order_id = order_of_intent(ctx, parsed.untraced->payment_intent);
      payments::Webhook webhook;
      webhook.events.push_back(std::move(parsed.event));
      webhook.acknowledgement = http::Response::json({{"received", true}});
      return webhook;
    });
  }

  payments::PaymentState query(const payments::Order& order) override {
    return runtime_->with([&](Context& ctx) {
      // No session yet (the checkout never started): nothing to ask.
      if (!plain_id(order.provider_ref)) return payments::PaymentState{};
      const auto reply = call(ctx, "GET", "/v1/checkout/sessions/" + order.provider_ref, {}, "");
      if (reply.status == 404) return payments::PaymentState{};
      if (!reply.ok()) refused(ctx, "query of order " + std::to_string(order.id), reply);
      return st::payment_state_of(reply.body);
    });
  }

  payments::RefundResult give_back(const payments::RefundRequest& request) override {
    return runtime_->with([&](Context& ctx) {
      const auto what =
          "refund " + request.refund_id + " of order " + std::to_string(request.order.id);
      payments::RefundResult result;
      if (!plain_id(request.order.provider_ref)) {
        result.kind = payments::RefundResult::Kind::failed;
        result.message = "the order has no Stripe Checkout Session to refund";
        return result;
      }
      // A refund names the PaymentIntent, which the session gives once it is paid.
      const auto session =
          call(ctx, "GET", "/v1/checkout/sessions/" + request.order.provider_ref, {}, "");
      if (!session.ok()) refused(ctx, what, session);
      const auto intent = st::string_of(st::object_of(session.body), "payment_intent");
      if (!plain_id(intent)) {
        result.kind = payments::RefundResult::Kind::failed;
        result.message =
            "Stripe's Checkout Session " + request.order.provider_ref + " has no payment to refund";
        return result;
      }
      // An earlier attempt may have made the refund and lost the answer: Stripe is asked what
      // stands before a refund is made (by the kernel's refund id in its metadata).
      const auto earlier =
          call(ctx, "GET",
               "/v1/refunds?limit=100&payment_intent=" + outbound::percent_encoded(intent), {}, "");
      if (!earlier.ok()) refused(ctx, what, earlier);
      if (auto found = st::earlier_refund(earlier.body, request.refund_id)) {
        ctx.log().info(what + ": Stripe made it already: " + found->provider_ref);
        return *found;
      }
      // The key names this order (its creation time too: ids repeat across sites and restored
      // databases) and changes every hour: Stripe replays a saved answer, errors included, for
      // a day, and the lookup above already guards against a second refund.
      const auto key = request.refund_id + "-" + std::to_string(request.order.created_at_ms) +
                       "-h" + std::to_string(ctx.clock().now_ms() / 3'600'000);
      const auto reply = call(ctx, "POST", "/v1/refunds", st::refund_form(intent, request), key);
      if (reply.status >= 400 && reply.status < 500 && reply.status != 401 && reply.status != 409 &&
          reply.status != 429) {
        // Stripe said no (already refunded, more than what is left...): nothing moved.
        result.kind = payments::RefundResult::Kind::failed;
        result.message = st::api_error_of(reply.status, reply.body).message;
        ctx.log().warn(what + ": Stripe refused: " + result.message);
        return result;
      }
      if (!reply.ok()) refused(ctx, what, reply);
      result = st::refund_result_of(reply.body);
      ctx.log().info(what + ": Stripe refund " + result.provider_ref + " (" +
                     std::to_string(request.amount.amount_minor) + " " + request.amount.currency +
                     ")");
      return result;
    });
  }

 private:
  outbound::Reply call(Context& ctx, const std::string& method, const std::string& path,
                       const st::Form& form, const std::string& idempotency_key) const {
    const auto& config = runtime_->config();
    outbound::Request request;
    request.method = method;
    request.url = config.api_base + path;
    request.headers = {{"Authorization", "Bearer " + config.secret_key},
                       {"Stripe-Version", std::string(st::kApiVersion)}};
    if (method != "GET") {
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      request.body = outbound::form_encoded(form);
    }
    if (!idempotency_key.empty()) request.headers.emplace_back("Idempotency-Key", idempotency_key);
    request.user_agent = "lore-pay-stripe/1.0.0";
    request.timeout_ms = config.timeout_ms;
    auto reply = outbound::send(request);
    if (!reply.reached()) {
      ctx.log().warn(method + " " + path + ": Stripe could not be reached: " + reply.error);
      throw http::Error(502, "provider_unreachable",
                        "Stripe could not be reached (" + reply.error + "); try again shortly");
    }
    return reply;
  }

  // Stripe answered with an error: the caller's failure, with Stripe's own message.
  [[noreturn]] static void refused(Context& ctx, const std::string& what,
                                   const outbound::Reply& reply) {
    const auto error = st::api_error_of(reply.status, reply.body);
    if (reply.status == 401)
      ctx.log().error(what + ": Stripe refused the secret key (HTTP 401): check secret_key");
    else
      ctx.log().warn(what + ": Stripe answered HTTP " + std::to_string(reply.status) + " " +
                     error.type + " " + error.code + ": " + error.message);
    throw http::Error(502, "provider_error", "Stripe: " + error.message,
                      {{"stripe_status", reply.status}, {"stripe_code", error.code}});
  }

  // The order of a refund made outside Lore (Stripe's dashboard), from its PaymentIntent's
  // metadata, which every checkout of this plugin sets. 0 when it is not one of ours.
  std::int64_t order_of_intent(Context& ctx, const std::string& intent) const {
    if (!plain_id(intent)) return 0;
    const auto reply = call(ctx, "GET", "/v1/payment_intents/" + intent, {}, "");
    if (reply.status == 404) return 0;
    // Stripe sends the event again later; by then the lookup may work.
    if (!reply.ok()) refused(ctx, "the order of PaymentIntent " + intent, reply);
    return st::order_id_of(st::object_of(reply.body));
  }

  std::shared_ptr<Runtime> runtime_;
};

class PayStripe {
 public:
  PayStripe() = default;
  PayStripe(const PayStripe&) = delete;
  PayStripe& operator=(const PayStripe&) = delete;
  ~PayStripe() {
    if (runtime_) runtime_->detach();
  }

  Status start(Context& ctx) {
    const auto& s = ctx.settings();
    Config config;
    config.secret_key = s.get<std::string>("secret_key");
    const auto secret = s.get<std::string>("webhook_secret");
    const auto previous = s.get<std::string>("previous_webhook_secret");
    if (config.secret_key.empty() || secret.empty()) {
      // Enabled but not set up (the embedded default enables every first-party plugin):
      // nothing is offered rather than a provider whose every payment fails.
      ctx.log().warn(
          "not configured: set secret_key (sk_...) and webhook_secret (whsec_..., from the "
          "webhook endpoint in Stripe's dashboard) to offer the \"stripe\" payment provider");
      return Status::ok();
    }
    if (!config.secret_key.starts_with("sk_") && !config.secret_key.starts_with("rk_"))
      return Status::error(
          "secret_key must be a Stripe secret or restricted key (sk_... or rk_...), not a "
          "publishable key");
    config.webhook_secrets.push_back(secret);
    if (!previous.empty() && previous != secret) config.webhook_secrets.push_back(previous);
    config.api_base = s.get<std::string>("api_base");
    while (!config.api_base.empty() && config.api_base.back() == '/') config.api_base.pop_back();
    if (!outbound::confidential_url(config.api_base))
      return Status::error(
          "api_base must be an https URL, such as https://api.stripe.com (plain http only to "
          "127.0.0.1, localhost or [::1], for a test double)");
    config.urls.success = s.get<std::string>("success_url");
    config.urls.cancel = s.get<std::string>("cancel_url");
    if (!outbound::http_url(config.urls.success))
      return Status::error(
          "success_url must be an http(s) URL (where Stripe sends the buyer after paying)");
    if (!config.urls.cancel.empty() && !outbound::http_url(config.urls.cancel))
      return Status::error("cancel_url must be empty or an http(s) URL");
    config.tolerance_s = s.get<std::int64_t>("tolerance_s");
    config.timeout_ms = static_cast<long>(s.get<std::int64_t>("timeout_ms"));
    const bool live =
        config.secret_key.starts_with("sk_live_") || config.secret_key.starts_with("rk_live_");

    runtime_ = std::make_shared<Runtime>(ctx, std::move(config));
    if (auto status = ctx.services().provide<payments::PaymentProvider>(
            kProviderName, std::make_shared<StripeProvider>(runtime_));
        !status)
      return status;
    ctx.log().info(std::string("payment provider \"stripe\" ready (") +
                   (live ? "live mode" : "test mode") + ", API " + std::string(st::kApiVersion) +
                   ", " + runtime_->config().api_base + ")");
    return Status::ok();
  }

  Status stop(Context&) {
    if (runtime_) runtime_->detach();
    return Status::ok();
  }

 private:
  std::shared_ptr<Runtime> runtime_;
};

}  // namespace

LORE_PLUGIN(PayStripe, "pay-stripe", "1.0.0")
