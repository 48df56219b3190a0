// pay-sandbox: the payment provider "sandbox", with no real money. create_checkout hands the
// client a signed, expiring link to this plugin's own checkout page; the page's Pay and Fail
// buttons record the decision in pay_sandbox_payments and send the kernel a webhook signed like
// Stripe's (Sandbox-Signature: t=...,v1=...), which parse_webhook verifies over the raw body.
// query_payment reads the table (reconciliation of a lost webhook); refunds succeed at once.
// Fault injection (delays, duplicates, a stale failure after a success, bad signatures) lets
// tests and demos exercise the kernel's idempotency and state machine.
#include <lore/sdk.h>
#include <lore/sdk/detachable_context.h>
#include <lore/sdk/outbound_http.h>
#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "page_text.h"
#include "signature.h"
#include "webhook.h"

namespace {

using namespace lore::sdk;
namespace ps = pay_sandbox;

constexpr std::string_view kProviderName = "sandbox";
constexpr std::string_view kCheckoutPath = "/pay-sandbox/checkout/";
constexpr std::size_t kMaxTitleBytes = 200;
// The kernel stores the checkout URL in a VARCHAR(2000).
constexpr std::size_t kMaxCheckoutUrlBytes = 2000;

struct Config {
  std::string webhook_url;
  std::string public_url;  // without a trailing '/'; empty: relative links
  std::string return_url;  // empty: no link back
  std::int64_t tolerance_s = 300;
  std::int64_t checkout_lifetime_s = 1800;
  std::int64_t delay_ms = 0;
  double duplicate_ratio = 0;
  double reorder_ratio = 0;
  double bad_signature_ratio = 0;
};

struct Keys {
  std::string signing;                 // webhook_secret: signs what is sent
  std::vector<std::string> verifying;  // webhook_secret, then previous_webhook_secret if set
  std::string checkout_signing;        // derived from `signing`
  std::vector<std::string> checkout;   // derived from each of `verifying`
};

// What the provider and the routes share; the provider may outlive this instance (see
// DetachableContext).
class Runtime : public DetachableContext {
 public:
  Runtime(Context& ctx, Config config, Keys keys)
      : DetachableContext(ctx, "the sandbox payment provider"),
        config_(std::move(config)),
        keys_(std::move(keys)),
        random_(std::random_device{}()) {}

  const Config& config() const noexcept { return config_; }
  const Keys& keys() const noexcept { return keys_; }

  // True with probability `ratio` (0: never, 1: always).
  bool chance(double ratio) {
    if (ratio <= 0) return false;
    std::lock_guard lock(random_mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random_) < ratio;
  }

  // "evt_" and 24 random hex digits: unique across processes and restarts.
  static std::string event_id() {
    unsigned char bytes[12];
    randombytes_buf(bytes, sizeof bytes);
    return "evt_" + ps::to_hex(bytes, sizeof bytes);
  }

 private:
  const Config config_;
  const Keys keys_;
  std::mutex random_mutex_;
  std::mt19937_64 random_;
};

bool valid_currency(std::string_view currency) {
  if (currency.size() != 3) return false;
  for (char c : currency)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

// At most `max` bytes, never cutting a UTF-8 sequence.
std::string shortened(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

// ---- The provider ----

class SandboxProvider final : public payments::PaymentProviderBase {
 public:
  explicit SandboxProvider(std::shared_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {}

  std::string_view description() const noexcept override {
    return "Sandbox (no real money): a checkout page with Pay and Fail buttons that sends "
           "signed webhooks";
  }

 protected:
  payments::Checkout checkout(const payments::Order& order) override {
    if (order.id <= 0) throw http::Error(400, "invalid_order", "the order has no id");
    if (!valid_currency(order.price.currency))
      throw http::Error(400, "unsupported_currency",
                        "the sandbox takes ISO 4217 currency codes (three capital letters)");
    if (order.price.amount_minor < 0)
      throw http::Error(400, "invalid_amount", "the order's amount is negative");
    return runtime_->with([&](Context& ctx) {
      const auto& config = runtime_->config();
      const auto now_s = ctx.clock().now_ms() / 1000;
      auto expires_s = now_s + config.checkout_lifetime_s;
      // The page never outlives the order.
      if (order.expires_at_ms > 0) expires_s = std::min(expires_s, order.expires_at_ms / 1000);
      ps::CheckoutClaim claim{order.id, order.price.amount_minor, order.price.currency, expires_s,
                              shortened(order.title, kMaxTitleBytes)};
      // The kernel keeps the link (lore_orders.checkout_value): the title gives way if needed.
      std::string url;
      while (true) {
        url = config.public_url + std::string(kCheckoutPath) + std::to_string(order.id) +
              "?t=" + ps::checkout_token(runtime_->keys().checkout_signing, claim);
        if (url.size() <= kMaxCheckoutUrlBytes || claim.title.empty()) break;
        const auto half = claim.title.size() / 2;
        claim.title = shortened(std::move(claim.title), half);
      }
      return payments::Checkout{"redirect", std::move(url), ps::payment_ref(order.id)};
    });
  }

  payments::Webhook verify(const http::Request& request) override {
    return runtime_->with([&](Context& ctx) {
      try {
        return ps::verify_webhook(request, runtime_->keys().verifying, ctx.clock().now_ms() / 1000,
                                  runtime_->config().tolerance_s);
      } catch (const http::Error& e) {
        ctx.log().warn("webhook refused (request " + request.request_id + "): " + e.code());
        throw;
      }
    });
  }

  payments::PaymentState query(const payments::Order& order) override {
    return runtime_->with([&](Context& ctx) {
      payments::PaymentState state;
      const auto row = ctx.database().session().query_one(
          "SELECT state, amount_minor, currency, ref FROM pay_sandbox_payments WHERE order_id = ?",
          {order.id});
      if (!row) return state;  // unknown: nobody pressed Pay or Fail (or not on this site)
      const auto recorded = row->get<std::string>("state");
      state.amount = {row->get<std::int64_t>("amount_minor"), row->get<std::string>("currency")};
      state.provider_ref = row->get<std::string>("ref");
      // A refunded payment was paid: refunds are facts of their own.
      if (recorded == "paid" || recorded == "refunded") {
        state.kind = payments::PaymentState::Kind::paid;
        state.event_id = "query:" + state.provider_ref + ":paid";
      } else if (recorded == "failed") {
        state.kind = payments::PaymentState::Kind::failed;
        state.event_id = "query:" + state.provider_ref + ":failed";
      }
      return state;
    });
  }

  payments::RefundResult give_back(const payments::RefundRequest& request) override {
    return runtime_->with([&](Context& ctx) {
      payments::RefundResult result;
      const auto& paid = request.order.price;
      if (request.amount.currency != paid.currency || request.amount.amount_minor <= 0 ||
          request.amount.amount_minor > paid.amount_minor) {
        result.kind = payments::RefundResult::Kind::failed;
        result.message = "the sandbox refunds between 0.01 and " +
                         ps::format_amount(paid.amount_minor, paid.currency) +
                         " in the order's currency";
        return result;
      }
      // The table only serves query_payment: the refund stands even if it cannot be written.
      try {
        ctx.database().session().execute(
            "UPDATE pay_sandbox_payments SET state = ?, updated_at = ? WHERE order_id = ?",
            {"refunded", ctx.clock().now_ms(), request.order.id});
      } catch (const db::Error& e) {
        ctx.log().warn("refund " + request.refund_id + " of order " +
                       std::to_string(request.order.id) +
                       ": could not mark the payment refunded: " + e.what());
      }
      result.kind = payments::RefundResult::Kind::succeeded;
      result.provider_ref = ps::refund_ref(request.refund_id);
      ctx.log().info("refund " + request.refund_id + " of order " +
                     std::to_string(request.order.id) + ": " +
                     ps::format_amount(request.amount.amount_minor, request.amount.currency) +
                     " (" + result.provider_ref + ")");
      return result;
    });
  }

 private:
  std::shared_ptr<Runtime> runtime_;
};

// ---- Pages ----

http::Response html(const std::string& title, const std::string& content, int status = 200) {
  auto page = std::string(
                  "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"robots\" content=\"noindex\">\n<title>") +
              ps::html_escape(title) +
              "</title>\n<style>\n"
              "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2129;margin:0}\n"
              "main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:8px;"
              "padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}\n"
              ".badge{display:inline-block;background:#fff4ce;color:#6b5000;border-radius:4px;"
              "padding:.2rem .5rem;font-size:.85rem}\n"
              ".amount{font-size:2rem;font-weight:600;margin:.5rem 0}\n"
              ".meta{color:#5c6370;font-size:.9rem}\n"
              ".actions{display:flex;gap:1rem;margin-top:1.5rem}\n"
              "button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:6px;"
              "cursor:pointer}\n"
              ".pay{background:#1a7f37;color:#fff}.fail{background:#e5e7eb;color:#1d2129}\n"
              "pre{white-space:pre-wrap;word-break:break-all;background:#f4f5f7;padding:.5rem}\n"
              "</style>\n</head>\n<body>\n<main>\n" +
              content + "</main>\n</body>\n</html>\n";
  auto response = http::Response::text(std::move(page), status, "text/html; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-store");
  // The token is in the URL: never sent to another site.
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; form-action "
                                "'self'; frame-ancestors 'none'; base-uri 'none'");
  return response;
}

std::string title_of(const ps::CheckoutClaim& claim) {
  return claim.title.empty() ? "Order #" + std::to_string(claim.order_id) : claim.title;
}

http::Response checkout_page(const ps::CheckoutClaim& claim, const std::string& token) {
  const auto amount = ps::format_amount(claim.amount_minor, claim.currency);
  const auto id = std::to_string(claim.order_id);
  // Relative actions: the page is .../checkout/<id>, so "<id>/pay" is .../checkout/<id>/pay
  // whatever prefix a proxy serves the site under, and always on the page's own origin.
  auto button = [&](const char* action, const char* css, const std::string& label) {
    return "<form method=\"post\" action=\"" + ps::html_escape(id) + "/" + action +
           "\">\n<input type=\"hidden\" name=\"t\" value=\"" + ps::html_escape(token) +
           "\">\n<button type=\"submit\" class=\"" + css + "\">" + ps::html_escape(label) +
           "</button>\n</form>\n";
  };
  const auto content =
      "<p class=\"badge\">Sandbox: no real money moves</p>\n<h1>" +
      ps::html_escape(title_of(claim)) + "</h1>\n<p class=\"amount\">" + ps::html_escape(amount) +
      "</p>\n<p class=\"meta\">Order #" + ps::html_escape(id) + " &middot; payment " +
      ps::html_escape(ps::payment_ref(claim.order_id)) + " &middot; this page expires at " +
      ps::html_escape(rfc3339(claim.expires_s * 1000)) + "</p>\n<div class=\"actions\">\n" +
      button("pay", "pay", "Pay " + amount) + button("fail", "fail", "Fail") + "</div>\n";
  return html("Sandbox checkout: " + title_of(claim), content);
}

// The claim a checkout request carries, or the 403 (404 for an id that is not one).
ps::CheckoutClaim claim_of(const Runtime& runtime, const Clock& clock, const http::Request& request,
                           const std::optional<std::string>& token) {
  const auto order_id = text::positive_integer(request.param("order"));
  if (!order_id) throw http::Error(404, "not_found", "there is no such checkout");
  if (!token || token->empty())
    throw http::Error(403, "invalid_checkout_token",
                      "this checkout link is not valid: start the payment again from the shop");
  auto read =
      ps::read_checkout_token(*token, *order_id, clock.now_ms() / 1000, runtime.keys().checkout);
  switch (read.check) {
    case ps::TokenCheck::invalid:
      throw http::Error(403, "invalid_checkout_token",
                        "this checkout link is not valid: start the payment again from the shop");
    case ps::TokenCheck::expired:
      throw http::Error(403, "checkout_expired",
                        "this checkout link has expired: start the payment again from the shop");
    case ps::TokenCheck::ok: break;
  }
  return std::move(read.claim);
}

// ---- Pay and Fail ----

struct Send {
  ps::Event event;
  std::string note;  // why this send is there, for the log and the page
  bool bad_signature = false;
  bool primary = false;
  outbound::Reply delivery;
};

// What the provider now believes: written before the webhook, as a real provider knows before
// it tells. A failure never overwrites a payment, and nothing overwrites a refund.
void record(db::Database& database, const ps::CheckoutClaim& claim, bool paid,
            std::int64_t now_ms) {
  auto session = database.session();
  const auto d = session.dialect();
  const auto incoming = db::inserted_value(d, "state");
  const auto keep = paid ? std::string("state = 'refunded'")
                         : std::string("state = 'paid' OR state = 'refunded'");
  session.execute(
      db::upsert_sql_with(d, "pay_sandbox_payments",
                          {"order_id", "state", "amount_minor", "currency", "ref", "updated_at"},
                          {"order_id"},
                          "state = CASE WHEN " + keep + " THEN state ELSE " + incoming +
                              " END, updated_at = " + db::inserted_value(d, "updated_at")),
      {claim.order_id, paid ? "paid" : "failed", claim.amount_minor, claim.currency,
       ps::payment_ref(claim.order_id), now_ms});
}

std::vector<Send> plan(Runtime& runtime, const ps::CheckoutClaim& claim, bool paid,
                       std::int64_t now_ms) {
  const auto& config = runtime.config();
  const ps::Event event{Runtime::event_id(),
                        std::string(paid ? ps::kPaymentSucceeded : ps::kPaymentFailed),
                        claim.order_id,
                        claim.amount_minor,
                        claim.currency,
                        ps::payment_ref(claim.order_id),
                        now_ms};
  std::vector<Send> sends;
  if (runtime.chance(config.bad_signature_ratio))
    sends.push_back({event, "a wrong signature, on purpose: bad_signature_ratio", true, false, {}});
  sends.push_back({event, "", false, true, {}});
  if (runtime.chance(config.duplicate_ratio))
    sends.push_back({event, "the same event again: duplicate_ratio", false, false, {}});
  if (paid && runtime.chance(config.reorder_ratio)) {
    // A failure from before the success, arriving after it: must not undo the payment.
    ps::Event stale = event;
    stale.id = Runtime::event_id();
    stale.type = std::string(ps::kPaymentFailed);
    stale.created_ms = now_ms - 1000;
    sends.push_back({stale, "a stale failure, out of order: reorder_ratio", false, false, {}});
  }
  return sends;
}

void deliver(Context& ctx, const Runtime& runtime, Send& send) {
  const auto body = ps::event_body(send.event);
  std::string key = runtime.keys().signing;
  if (send.bad_signature) {
    key.assign(32, '\0');
    randombytes_buf(key.data(), key.size());
  }
  const auto t = ctx.clock().now_ms() / 1000;
  outbound::Request post;
  post.url = runtime.config().webhook_url;
  post.headers = {{"Content-Type", "application/json"},
                  {std::string(ps::kSignatureHeader), ps::signature_header(key, t, body)}};
  post.body = body;
  post.user_agent = "lore-pay-sandbox/1.0.0";
  post.max_answer_bytes = 16 * 1024;  // shown on the page when the shop refuses
  send.delivery = outbound::send(post);
  auto line = "webhook " + send.event.type + " " + send.event.id + " for order " +
              std::to_string(send.event.order_id) +
              (send.note.empty() ? std::string() : " [" + send.note + "]");
  if (send.delivery.status != 0) {
    ctx.log().info(line + ": HTTP " + std::to_string(send.delivery.status));
  } else {
    ctx.log().warn(line + ": not delivered: " + send.delivery.error);
  }
}

std::string return_link(const Config& config, std::int64_t order_id) {
  if (config.return_url.empty()) return "";
  auto url = config.return_url;
  const std::string placeholder = "{order_id}";
  for (auto at = url.find(placeholder); at != std::string::npos; at = url.find(placeholder, at))
    url.replace(at, placeholder.size(), std::to_string(order_id));
  return "<p><a href=\"" + ps::html_escape(url) + "\">Back to the shop</a></p>\n";
}

http::Response decide(Context& ctx, Runtime& runtime, const ps::CheckoutClaim& claim, bool paid) {
  const auto& config = runtime.config();
  const auto now_ms = ctx.clock().now_ms();
  record(ctx.database(), claim, paid, now_ms);
  auto sends = plan(runtime, claim, paid, now_ms);
  if (config.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(config.delay_ms));
  for (auto& send : sends) deliver(ctx, runtime, send);

  const Send* primary = nullptr;
  for (const auto& send : sends)
    if (send.primary) primary = &send;
  const auto& answer = primary->delivery;
  std::string content = "<p class=\"badge\">Sandbox: no real money moves</p>\n";
  int status = 200;
  if (answer.ok()) {
    content += paid ? "<h1>Payment sent</h1>\n<p>Payment sent; you can close this page.</p>\n"
                    : "<h1>Failure sent</h1>\n<p>Payment failure sent; you can close this "
                      "page.</p>\n";
  } else {
    status = 502;
    content += "<h1>The shop did not take the webhook</h1>\n";
    content += answer.status != 0
                   ? "<p>Its webhook answered HTTP " + std::to_string(answer.status) + ":</p>\n"
                   : "<p>Its webhook could not be reached:</p>\n";
    content +=
        "<pre>" + ps::html_escape(answer.status != 0 ? answer.body : answer.error) + "</pre>\n";
  }
  content += "<p class=\"meta\">" +
             (claim.title.empty() ? std::string() : ps::html_escape(claim.title) + " &middot; ") +
             ps::html_escape(ps::format_amount(claim.amount_minor, claim.currency)) +
             " &middot; order #" + std::to_string(claim.order_id) + "</p>\n<ul class=\"meta\">\n";
  for (const auto& send : sends) {
    content += "<li>" + ps::html_escape(send.event.type + " " + send.event.id) + ": " +
               (send.delivery.status != 0 ? "HTTP " + std::to_string(send.delivery.status)
                                          : std::string("not delivered"));
    if (!send.note.empty()) content += " (" + ps::html_escape(send.note) + ")";
    content += "</li>\n";
  }
  content += "</ul>\n" + return_link(config, claim.order_id);
  return html(paid ? "Payment sent" : "Failure sent", content, status);
}

// ---- The plugin ----

class PaySandbox {
 public:
  PaySandbox() = default;
  PaySandbox(const PaySandbox&) = delete;
  PaySandbox& operator=(const PaySandbox&) = delete;
  ~PaySandbox() {
    if (runtime_) runtime_->detach();
  }

  Status start(Context& ctx) {
    if (sodium_init() < 0) return Status::error("libsodium could not be initialised");
    const auto& s = ctx.settings();
    Config config;
    config.webhook_url = s.get<std::string>("webhook_url");
    config.public_url = s.get<std::string>("public_url");
    while (!config.public_url.empty() && config.public_url.back() == '/')
      config.public_url.pop_back();
    config.return_url = s.get<std::string>("return_url");
    config.tolerance_s = s.get<std::int64_t>("tolerance_s");
    config.checkout_lifetime_s = s.get<std::int64_t>("checkout_lifetime_s");
    config.delay_ms = s.get<std::int64_t>("delay_ms");
    config.duplicate_ratio = s.get<double>("duplicate_ratio");
    config.reorder_ratio = s.get<double>("reorder_ratio");
    config.bad_signature_ratio = s.get<double>("bad_signature_ratio");
    if (!config.return_url.empty() && !config.return_url.starts_with("https://") &&
        !config.return_url.starts_with("http://") && !config.return_url.starts_with("/")) {
      ctx.log().warn("return_url is neither an http(s) URL nor a path: no link back is shown");
      config.return_url.clear();
    }

    Keys keys;
    keys.signing = s.get<std::string>("webhook_secret");
    if (keys.signing.empty()) {
      keys.signing.resize(32);
      randombytes_buf(keys.signing.data(), keys.signing.size());
      ctx.log().warn(
          "webhook_secret is empty: webhooks and checkout links are signed with a random key, "
          "so links break on restart and a webhook reaching another process is refused; set it "
          "(e.g. ${LORE_SANDBOX_SECRET})");
    } else if (keys.signing.size() < 16) {
      ctx.log().warn("webhook_secret is shorter than 16 bytes: use a long random value");
    }
    keys.verifying.push_back(keys.signing);
    const auto previous = s.get<std::string>("previous_webhook_secret");
    if (!previous.empty() && previous != keys.signing) keys.verifying.push_back(previous);
    keys.checkout_signing = ps::checkout_key(keys.signing);
    for (const auto& secret : keys.verifying) keys.checkout.push_back(ps::checkout_key(secret));

    runtime_ = std::make_shared<Runtime>(ctx, std::move(config), std::move(keys));
    if (auto status = ctx.services().provide<payments::PaymentProvider>(
            kProviderName, std::make_shared<SandboxProvider>(runtime_));
        !status)
      return status;

    RouteSpec page;
    page.method = http::Method::get;
    page.path = std::string(kCheckoutPath) + "{order}";
    page.summary =
        "The sandbox checkout page (HTML) of a link from POST /api/v1/orders: the order's title "
        "and amount, with Pay and Fail buttons. 403 for a forged, altered or expired link.";
    page.access = http::Access::anonymous;  // the signed token is the credential
    page.execution = Execution::reactor;    // an HMAC and some text: never blocks
    auto runtime = runtime_;
    const auto& clock = ctx.clock();
    if (auto status = ctx.routes().add(page,
                                       [runtime, &clock](const http::Request& request) {
                                         const auto token = request.query_param("t");
                                         return checkout_page(
                                             claim_of(*runtime, clock, request, token), *token);
                                       });
        !status)
      return status;

    for (const bool paid : {true, false}) {
      RouteSpec decision;
      decision.method = http::Method::post;
      decision.path = std::string(kCheckoutPath) + "{order}/" + (paid ? "pay" : "fail");
      decision.summary =
          paid ? "Pay a sandbox checkout: records the payment and sends the kernel a signed "
                 "payment.succeeded webhook; answers an HTML page. The form carries the token t."
               : "Fail a sandbox checkout: records the failure and sends the kernel a signed "
                 "payment.failed webhook; answers an HTML page. The form carries the token t.";
      decision.access = http::Access::anonymous;
      decision.execution = Execution::worker;  // the database and an HTTP call
      if (auto status = ctx.routes().add(decision,
                                         [runtime, paid, &ctx](const http::Request& request) {
                                           auto token = ps::form_field(request.body, "t");
                                           if (!token) token = request.query_param("t");
                                           const auto claim =
                                               claim_of(*runtime, ctx.clock(), request, token);
                                           return decide(ctx, *runtime, claim, paid);
                                         });
          !status)
        return status;
    }

    const auto& c = runtime_->config();
    std::string faults;
    if (c.delay_ms > 0) faults += " delay_ms=" + std::to_string(c.delay_ms);
    if (c.duplicate_ratio > 0) faults += " duplicate_ratio=" + std::to_string(c.duplicate_ratio);
    if (c.reorder_ratio > 0) faults += " reorder_ratio=" + std::to_string(c.reorder_ratio);
    if (c.bad_signature_ratio > 0)
      faults += " bad_signature_ratio=" + std::to_string(c.bad_signature_ratio);
    ctx.log().info("payment provider \"sandbox\" ready (no real money)" +
                   (faults.empty() ? std::string() : "; fault injection:" + faults));
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

LORE_PLUGIN(PaySandbox, "pay-sandbox", "1.0.0")
