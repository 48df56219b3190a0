// pay-alipay: the payment provider "alipay", Alipay's page payment (电脑网站支付) in public-key
// mode. create_checkout signs an alipay.trade.page.pay request (RSA2 with the app's private
// key) and hands the buyer a redirect to the gateway carrying it; parse_webhook verifies
// Alipay's asynchronous notification (RSA2 with Alipay's public key over the sorted parameters)
// and reports what it says; query_payment asks alipay.trade.query (reconciliation of a lost
// notification); refund calls alipay.trade.refund with the kernel's refund id as out_request_no.
// Every answer of the gateway is believed only once its signature verifies.
#include <lore/sdk.h>
#include <lore/sdk/detachable_context.h>
#include <lore/sdk/outbound_http.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol.h"
#include "rsa.h"

namespace {

using namespace lore::sdk;
namespace pa = pay_alipay;

constexpr std::string_view kProviderName = "alipay";
constexpr std::string_view kUserAgent = "lore-pay-alipay/1.0.0";
// The kernel stores the checkout URL in a VARCHAR(2000).
constexpr std::size_t kMaxCheckoutUrlBytes = 2000;
// Alipay's limits: out_request_no is 64 characters at most.
constexpr std::size_t kMaxRefundIdBytes = 64;

struct Config {
  std::string app_id;
  std::string gateway_url;
  std::string notify_url;  // empty: Alipay is not told where to notify
  std::string return_url;  // empty: Alipay shows its own page after paying
  std::string trade_no_prefix;
  long timeout_ms = 15'000;
  pa::SharedKey app_key;     // the app's private key: signs requests
  pa::SharedKey alipay_key;  // Alipay's public key: verifies notifications and answers
};

// The provider may outlive this instance (see DetachableContext).
class Runtime : public DetachableContext {
 public:
  Runtime(Context& ctx, Config config)
      : DetachableContext(ctx, "the Alipay payment provider"), config_(std::move(config)) {}
  const Config& config() const noexcept { return config_; }

 private:
  const Config config_;
};

std::string with_order_id(std::string url, std::int64_t order_id) {
  const std::string placeholder = "{order_id}";
  for (auto at = url.find(placeholder); at != std::string::npos; at = url.find(placeholder, at))
    url.replace(at, placeholder.size(), std::to_string(order_id));
  return url;
}

// The common parameters of every request, signed. biz_content must be in `params` already.
pa::Params signed_request(const Config& config, std::string_view method, std::int64_t now_ms,
                          pa::Params params) {
  params["app_id"] = config.app_id;
  params["method"] = std::string(method);
  params["format"] = "JSON";
  params["charset"] = "utf-8";
  params["sign_type"] = "RSA2";
  params["timestamp"] = pa::beijing_time(now_ms);
  params["version"] = "1.0";
  params.erase("sign");
  params["sign"] = pa::rsa2_sign(*config.app_key, pa::signing_content(params, pa::Signed::request));
  return params;
}

std::string json_text(const nlohmann::json& value) {
  // Raw UTF-8 (Alipay reads biz_content as utf-8, the charset sent); invalid bytes replaced.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One request to the gateway and its verified answer. Unreachable, an HTTP error, or an answer
// that does not verify: http::Error(502), so the kernel asks again later.
pa::GatewayAnswer call_gateway(Context& ctx, const Config& config, std::string_view method,
                               const nlohmann::json& biz) {
  const auto params =
      signed_request(config, method, ctx.clock().now_ms(), {{"biz_content", json_text(biz)}});
  outbound::Request request;
  request.method = "POST";
  request.url = config.gateway_url;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded;charset=utf-8"}};
  request.body = pa::form_encoded(params);
  request.user_agent = std::string(kUserAgent);
  request.timeout_ms = config.timeout_ms;
  request.connect_timeout_ms = std::min(config.timeout_ms, 5'000L);
  request.max_answer_bytes = 256 * 1024;
  const auto reply = outbound::send(request);
  if (!reply.reached())
    throw http::Error(
        502, "provider_unreachable",
        "Alipay's gateway could not be reached for " + std::string(method) + ": " + reply.error);
  if (!reply.ok())
    throw http::Error(502, "provider_error",
                      "Alipay's gateway answered HTTP " + std::to_string(reply.status) + " to " +
                          std::string(method));
  return pa::read_gateway_answer(reply.body, method, *config.alipay_key);
}

// The amount of refund `out_request_no` of a trade if Alipay has it as done.
std::optional<std::int64_t> look_up_refund(Context& ctx, const Config& config,
                                           const std::string& out_trade_no,
                                           const std::string& out_request_no) {
  const auto answer =
      call_gateway(ctx, config, "alipay.trade.fastpay.refund.query",
                   {{"out_trade_no", out_trade_no}, {"out_request_no", out_request_no}});
  return pa::refunded_fen(answer, out_request_no);
}

// ---- The provider ----

class AlipayProvider final : public payments::PaymentProviderBase {
 public:
  explicit AlipayProvider(std::shared_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {}

  std::string_view description() const noexcept override {
    return "Alipay page payment (RSA2-signed requests, verified notifications)";
  }

 protected:
  payments::Checkout checkout(const payments::Order& order) override {
    if (order.id <= 0) throw http::Error(400, "invalid_order", "the order has no id");
    if (order.price.currency != pa::kCurrency)
      throw http::Error(
          400, "unsupported_currency",
          "Alipay takes payments in CNY only; this order is priced in " + order.price.currency);
    if (order.price.amount_minor < 1 || order.price.amount_minor > pa::kMaxAmountFen)
      throw http::Error(400, "invalid_amount",
                        "Alipay takes 0.01 to 100000000.00 CNY; this order is " +
                            std::to_string(order.price.amount_minor) + " fen");
    return runtime_->with([&](Context& ctx) {
      const auto& config = runtime_->config();
      const auto now_ms = ctx.clock().now_ms();
      const auto trade_no = pa::out_trade_no(config.trade_no_prefix, order.id);
      nlohmann::json biz = {{"out_trade_no", trade_no},
                            {"total_amount", pa::yuan(order.price.amount_minor)},
                            {"product_code", pa::kProductCode}};
      // Alipay stops taking money when the order expires (to the second, rounded down).
      if (order.expires_at_ms > now_ms) biz["time_expire"] = pa::beijing_time(order.expires_at_ms);
      pa::Params extra;
      if (!config.notify_url.empty()) extra["notify_url"] = config.notify_url;
      if (!config.return_url.empty())
        extra["return_url"] = with_order_id(config.return_url, order.id);
      const char* glue = config.gateway_url.find('?') == std::string::npos ? "?" : "&";
      // The kernel keeps the link: the subject gives way if needed (long titles in Chinese
      // take nine bytes a character once percent-encoded).
      auto subject = pa::subject_of(order.title, order.id);
      std::string url;
      while (true) {
        biz["subject"] = subject;
        auto params = extra;
        params["biz_content"] = json_text(biz);
        url = config.gateway_url + glue +
              pa::form_encoded(signed_request(config, "alipay.trade.page.pay", now_ms, params));
        if (url.size() <= kMaxCheckoutUrlBytes) break;
        if (subject.size() <= 16)
          throw http::Error(400, "checkout_too_long",
                            "the Alipay checkout link would be longer than " +
                                std::to_string(kMaxCheckoutUrlBytes) +
                                " bytes; shorten notify_url or return_url");
        subject = pa::subject_of(subject, order.id, subject.size() / 2);
      }
      return payments::Checkout{"redirect", std::move(url), trade_no};
    });
  }

  payments::Webhook verify(const http::Request& request) override {
    return runtime_->with([&](Context& ctx) {
      const auto& config = runtime_->config();
      try {
        std::string why;
        const auto params = pa::parse_form(request.body, why);
        if (!params)
          throw http::Error(400, "malformed_notification",
                            "the Alipay notification is not a form (application/"
                            "x-www-form-urlencoded): " +
                                why);
        const auto sign = params->find("sign");
        if (sign == params->end() || sign->second.empty())
          throw http::Error(401, "bad_signature", "the Alipay notification is not signed");
        if (const auto type = params->find("sign_type");
            type != params->end() && type->second != "RSA2")
          throw http::Error(400, "unsupported_sign_type",
                            "only RSA2 notifications are accepted (the app is set up for RSA2)");
        // Before anything in it is believed.
        if (!pa::rsa2_verify(*config.alipay_key,
                             pa::signing_content(*params, pa::Signed::notification), sign->second))
          throw http::Error(401, "bad_signature",
                            "the Alipay notification's signature does not verify with "
                            "alipay_public_key");
        auto notice = pa::read_notification(*params, config.app_id, config.trade_no_prefix);
        if (notice.refund_request) {
          // refund_fee is the trade's total refunded so far: the refund's own amount comes
          // from Alipay's refund query.
          const auto fen = look_up_refund(ctx, config, notice.out_trade_no, *notice.refund_request);
          if (!fen)
            // Alipay notifies once the refund is done; its query may lag a few seconds. Not
            // acknowledged, so Alipay sends it again (minutes later).
            throw http::Error(503, "refund_not_confirmed",
                              "Alipay's refund query does not show refund " +
                                  *notice.refund_request + " as done yet",
                              {{"retry_after_s", 60}});
          notice.event.amount.amount_minor = *fen;
        }
        payments::Webhook webhook;
        webhook.events.push_back(std::move(notice.event));
        // Alipay stops sending the notification once it reads exactly this.
        webhook.acknowledgement = http::Response::text("success");
        return webhook;
      } catch (const http::Error& e) {
        ctx.log().warn("notification refused (request " + request.request_id + "): " + e.code() +
                       ": " + e.what());
        throw;
      }
    });
  }

  payments::PaymentState query(const payments::Order& order) override {
    return runtime_->with([&](Context& ctx) {
      const auto& config = runtime_->config();
      const auto trade_no = pa::out_trade_no(config.trade_no_prefix, order.id);
      const auto answer =
          call_gateway(ctx, config, "alipay.trade.query", {{"out_trade_no", trade_no}});
      return pa::query_state(answer, trade_no);
    });
  }

  payments::RefundResult give_back(const payments::RefundRequest& request) override {
    return runtime_->with([&](Context& ctx) {
      const auto& config = runtime_->config();
      const auto& order = request.order;
      payments::RefundResult result;
      if (request.amount.currency != pa::kCurrency || request.amount.amount_minor <= 0 ||
          request.amount.amount_minor > order.price.amount_minor) {
        result.kind = payments::RefundResult::Kind::failed;
        result.message = "Alipay refunds between 0.01 CNY and what was paid, in CNY";
        return result;
      }
      if (request.refund_id.empty() || request.refund_id.size() > kMaxRefundIdBytes) {
        result.kind = payments::RefundResult::Kind::failed;
        result.message = "the refund id must be 1 to 64 characters for Alipay's out_request_no";
        return result;
      }
      const auto trade_no = pa::out_trade_no(config.trade_no_prefix, order.id);
      const auto amount = pa::yuan(request.amount.amount_minor);
      const auto answer = call_gateway(ctx, config, "alipay.trade.refund",
                                       {{"out_trade_no", trade_no},
                                        {"refund_amount", amount},
                                        {"out_request_no", request.refund_id}});
      const auto line = "refund " + request.refund_id + " of order " + std::to_string(order.id) +
                        " (" + amount + " CNY, " + trade_no + ")";
      result.provider_ref = pa::refund_ref(trade_no, request.refund_id);
      switch (pa::refund_answer(answer)) {
        case pa::RefundAnswer::succeeded:
          result.kind = payments::RefundResult::Kind::succeeded;
          ctx.log().info(line + ": refunded");
          return result;
        case pa::RefundAnswer::check: {
          // No money moved on this call: this out_request_no was refunded before (a retry
          // after a timeout), or Alipay is still at it. Its refund query tells which; a
          // refund of another amount under this id is for a person to look at.
          const auto fen = look_up_refund(ctx, config, trade_no, request.refund_id);
          if (fen && *fen == request.amount.amount_minor) {
            result.kind = payments::RefundResult::Kind::succeeded;
            ctx.log().info(line + ": refunded earlier under the same out_request_no");
          } else if (fen) {
            result.kind = payments::RefundResult::Kind::pending;
            ctx.log().error(line + ": Alipay has this out_request_no refunded as " +
                            pa::yuan(*fen) + " CNY, not " + amount + "; check it by hand");
          } else {
            result.kind = payments::RefundResult::Kind::pending;
            ctx.log().info(line + ": not confirmed yet; asked again later");
          }
          return result;
        }
        case pa::RefundAnswer::failed:
          result.kind = payments::RefundResult::Kind::failed;
          result.message = "Alipay refused the refund: " + answer.reason();
          ctx.log().warn(line + ": " + result.message);
          return result;
        case pa::RefundAnswer::unknown: break;
      }
      // Whether it refunded is unknown: the kernel keeps the refund pending and asks again,
      // with the same out_request_no, so Alipay refunds at most once.
      throw http::Error(502, "provider_error",
                        "Alipay could not say whether it refunded: " + answer.reason());
    });
  }

 private:
  std::shared_ptr<Runtime> runtime_;
};

// ---- The plugin ----

class PayAlipay {
 public:
  PayAlipay() = default;
  PayAlipay(const PayAlipay&) = delete;
  PayAlipay& operator=(const PayAlipay&) = delete;
  ~PayAlipay() {
    if (runtime_) runtime_->detach();
  }

  Status start(Context& ctx) {
    const auto& s = ctx.settings();
    Config config;
    config.app_id = s.get<std::string>("app_id");
    config.gateway_url = s.get<std::string>("gateway_url");
    config.notify_url = s.get<std::string>("notify_url");
    config.return_url = s.get<std::string>("return_url");
    config.trade_no_prefix = s.get<std::string>("trade_no_prefix");
    config.timeout_ms = static_cast<long>(s.get<std::int64_t>("timeout_ms"));
    const auto private_key = s.get<std::string>("app_private_key");
    const auto public_key = s.get<std::string>("alipay_public_key");

    // Not set up (the embedded default enables every first-party plugin): the plugin runs but
    // offers no provider, so the site starts and nobody is sent to a gateway that would refuse.
    std::vector<std::string> missing;
    if (config.app_id.empty()) missing.emplace_back("app_id");
    if (private_key.empty()) missing.emplace_back("app_private_key");
    if (public_key.empty()) missing.emplace_back("alipay_public_key");
    if (!missing.empty()) {
      ctx.log().warn("the \"alipay\" payment provider is not offered: set " + text::join(missing) +
                     " (e.g. app_id: \"${LORE_ALIPAY_APP_ID}\"; see docs/payments.md)");
      return Status::ok();
    }

    if (config.app_id.size() > 32 ||
        !std::all_of(config.app_id.begin(), config.app_id.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }))
      return Status::error(
          "app_id: an Alipay app id is letters and digits (e.g. 2021000000000000)");
    if (!outbound::confidential_url(config.gateway_url))
      return Status::error(
          "gateway_url: must be an https URL (Alipay's is https://openapi.alipay.com/gateway.do; "
          "plain http only to 127.0.0.1, localhost or [::1], for a test double)");
    if (!config.notify_url.empty() && !outbound::http_url(config.notify_url))
      return Status::error(
          "notify_url: must be an http(s) URL Alipay can reach (the site's "
          "/api/v1/payments/alipay/webhook)");
    if (!config.return_url.empty() && !outbound::http_url(config.return_url))
      return Status::error("return_url: must be an http(s) URL");
    if (!pa::valid_trade_no_prefix(config.trade_no_prefix))
      return Status::error(
          "trade_no_prefix: at most 32 letters, digits and underscores (Alipay's out_trade_no "
          "takes no other characters), not ending in a digit");
    try {
      config.app_key = pa::shared(pa::load_key(private_key, pa::KeyPart::private_key));
    } catch (const std::invalid_argument& e) {
      return Status::error(std::string("app_private_key: ") + e.what());
    }
    try {
      config.alipay_key = pa::shared(pa::load_key(public_key, pa::KeyPart::public_key));
    } catch (const std::invalid_argument& e) {
      return Status::error(std::string("alipay_public_key: ") + e.what());
    }
    if (config.notify_url.empty())
      ctx.log().warn(
          "notify_url is empty: Alipay will not notify this site of payments; they are found "
          "only by reconciliation, minutes later");

    const auto app_id = config.app_id;
    const auto gateway = config.gateway_url;
    runtime_ = std::make_shared<Runtime>(ctx, std::move(config));
    if (auto status = ctx.services().provide<payments::PaymentProvider>(
            kProviderName, std::make_shared<AlipayProvider>(runtime_));
        !status)
      return status;
    ctx.log().info("payment provider \"alipay\" ready (app " + app_id + ", gateway " + gateway +
                   ")");
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

LORE_PLUGIN(PayAlipay, "pay-alipay", "1.0.0")
