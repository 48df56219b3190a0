// pay-alipay in a kernel, on SQLite and on MariaDB with Redis, against a fake Alipay gateway
// (tests/support/fake_http_server.h). The test makes two RSA key pairs: the app's (the plugin
// signs with its private key; the fake gateway verifies every request with its public key) and
// "Alipay's" (the fake gateway signs its answers and the test its notifications with the private
// key; the plugin verifies with the public key). Signing strings are rebuilt here independently
// of the plugin's code, so a mistake there shows up as a signature that does not verify.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/encoder.h>
#include <openssl/rsa.h>

#include <ctime>
#include <mutex>

#include "../../plugins/pay-alipay/rsa.h"
#include "commerce/commerce_service.h"
#include "jobs/job_scheduler.h"
#include "lore/sdk/hooks.h"
#include "support/api_fixture.h"
#include "support/encoded_key.h"
#include "support/fake_http_server.h"
#include "support/in_process.h"

namespace lore::test {
namespace {

namespace pa = pay_alipay;
using sdk::db::Dialect;
using sdk::http::Method;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using Fields = std::map<std::string, std::string>;

constexpr const char* kAppId = "2021000000000001";

// ---- Keys ----

struct KeyPair {
  pa::Pkey key{EVP_RSA_gen(2048)};
  std::string private_pem() const {
    return encoded_key(*key, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM", "PrivateKeyInfo");
  }
  // The bare base64 body Alipay's console shows.
  std::string public_base64() const {
    return pa::base64(
        encoded_key(*key, OSSL_KEYMGMT_SELECT_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo"));
  }
};

// A YAML double-quoted scalar.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out + "\"";
}

// ---- The protocol, written again for the test ----

// What RSA2 signs: sorted, empty values and `sign` left out (and `sign_type` in notifications).
std::string Content(const Fields& fields, bool notification) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (key == "sign" || value.empty() || (notification && key == "sign_type")) continue;
    out += (out.empty() ? "" : "&") + key + "=" + value;
  }
  return out;
}

// As Java's URLEncoder writes forms (Alipay's notifications): a space is '+'.
std::string FormEncoded(const Fields& fields) {
  auto encode = [](const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '*') {
        out += c;
      } else if (c == ' ') {
        out += '+';
      } else {
        out += '%';
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
      }
    }
    return out;
  };
  std::string out;
  for (const auto& [key, value] : fields)
    out += (out.empty() ? "" : "&") + encode(key) + "=" + encode(value);
  return out;
}

Fields FormOf(const std::string& encoded) {
  Fields fields;
  std::size_t at = 0;
  while (at < encoded.size()) {
    auto end = encoded.find('&', at);
    if (end == std::string::npos) end = encoded.size();
    const auto pair = encoded.substr(at, end - at);
    const auto equals = pair.find('=');
    fields[form_decoded(pair.substr(0, equals))] =
        equals == std::string::npos ? "" : form_decoded(pair.substr(equals + 1));
    at = end + 1;
  }
  return fields;
}

// Beijing time with the C library, for comparison with the plugin's own arithmetic.
std::string Beijing(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

// ---- The fake gateway ----

struct GatewayCall {
  std::string method;
  nlohmann::json biz;
  bool signature_ok = false;
};

class FakeAlipay {
 public:
  FakeAlipay(const EVP_PKEY& app_public, const EVP_PKEY& alipay_private)
      : app_public_(app_public), alipay_private_(alipay_private) {}

  FakeResponse Answer(const FakeRequest& request) {
    std::lock_guard lock(mutex_);
    const auto fields = FormOf(request.body);
    GatewayCall call;
    auto field = [&](const char* name) {
      const auto it = fields.find(name);
      return it == fields.end() ? std::string() : it->second;
    };
    call.signature_ok = request.method == "POST" && field("sign_type") == "RSA2" &&
                        field("app_id") == kAppId && field("charset") == "utf-8" &&
                        field("version") == "1.0" && field("format") == "JSON" &&
                        pa::rsa2_verify(app_public_, Content(fields, false), field("sign"));
    call.method = field("method");
    call.biz = nlohmann::json::parse(field("biz_content"), nullptr, false);
    calls_.push_back(call);
    if (http_status != 200) return {http_status, "<html>gateway trouble</html>", "text/html"};
    if (!call.signature_ok)
      // What Alipay answers a request it cannot authenticate: unsigned.
      return {200, "{\"" + Key(call.method) +
                       "\":{\"code\":\"40002\",\"msg\":\"Invalid Arguments\",\"sub_code\":\"isv."
                       "invalid-signature\",\"sub_msg\":\"验签出错\"}}"};
    const auto trade = call.biz.value("out_trade_no", "");
    if (call.method == "alipay.trade.query") {
      if (trade_status.empty())
        return Signed(
            call.method,
            R"({"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在","out_trade_no":")" +
                trade + "\"}");
      return Signed(
          call.method,
          R"({"code":"10000","msg":"Success","buyer_logon_id":"csq***@sandbox.com", "buyer_pay_amount":"0.00","out_trade_no":")" +
              trade + R"(","trade_no":")" + trade_no + R"(","trade_status":")" + trade_status +
              R"(","total_amount":")" + total_amount + "\"}");
    }
    if (call.method == "alipay.trade.refund") {
      if (refund_mode == "refused")
        return Signed(
            call.method,
            R"({"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_ALLOW_REFUND","sub_msg":"当前交易不允许退款"})");
      if (refund_mode == "busy")
        return Signed(
            call.method,
            R"({"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error","sub_msg":"系统繁忙"})");
      const auto request_no = call.biz.value("out_request_no", "");
      const bool again = refunds.count(request_no) > 0;
      if (!again) refunds[request_no] = call.biz.value("refund_amount", "");
      return Signed(call.method, R"({"code":"10000","msg":"Success","trade_no":")" + trade_no +
                                     R"(","out_trade_no":")" + trade + R"(","fund_change":")" +
                                     (again ? "N" : "Y") + R"(","refund_fee":")" +
                                     call.biz.value("refund_amount", "") + "\"}");
    }
    if (call.method == "alipay.trade.fastpay.refund.query") {
      const auto request_no = call.biz.value("out_request_no", "");
      if (!refunds.count(request_no))
        return Signed(call.method, R"({"code":"10000","msg":"Success"})");
      return Signed(call.method,
                    R"({"code":"10000","msg":"Success","trade_no":")" + trade_no +
                        R"(","out_trade_no":")" + trade + R"(","out_request_no":")" + request_no +
                        R"(","refund_amount":")" + refunds.at(request_no) +
                        R"(","total_amount":"99.00","refund_status":"REFUND_SUCCESS"})");
    }
    return Signed(call.method, R"({"code":"40001","msg":"Missing Required Arguments"})");
  }

  std::vector<GatewayCall> calls(const std::string& method) const {
    std::lock_guard lock(mutex_);
    std::vector<GatewayCall> out;
    for (const auto& call : calls_)
      if (call.method == method) out.push_back(call);
    return out;
  }
  template <class F>
  void Set(F&& change) {
    std::lock_guard lock(mutex_);
    change(*this);
  }

  // What the gateway knows; changed through Set().
  std::string trade_status;  // empty: no such trade
  std::string trade_no = "2027011522001400001";
  std::string total_amount = "99.00";
  std::string refund_mode = "ok";              // ok, refused, busy
  std::map<std::string, std::string> refunds;  // out_request_no -> refund_amount
  int http_status = 200;
  bool forge = false;  // sign answers with the wrong key

 private:
  static std::string Key(const std::string& method) {
    std::string key = method;
    for (auto& c : key)
      if (c == '.') c = '_';
    return key + "_response";
  }
  FakeResponse Signed(const std::string& method, const std::string& raw) {
    const auto& key = forge ? app_public_ : alipay_private_;
    std::string sign;
    try {
      sign = pa::rsa2_sign(key, raw);
    } catch (const std::exception&) {
      sign = pa::base64(std::string(256, 'x'));  // the app's public key cannot sign
    }
    // Spaces around the members, as some gateways write them: the signed text is the value's.
    return {200, "{\"" + Key(method) + "\": " + raw + " , \"sign\":\"" + sign + "\"}"};
  }

  const EVP_PKEY& app_public_;
  const EVP_PKEY& alipay_private_;
  mutable std::mutex mutex_;
  std::vector<GatewayCall> calls_;
};

// ---- The fixture ----

class PayAlipay : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    app_public_ = pa::load_key(app_keys_.public_base64(), pa::KeyPart::public_key);
    alipay_ = std::make_unique<FakeAlipay>(*app_public_, *alipay_keys_.key);
    gateway_ = std::make_unique<FakeHttpServer>(
        [this](const FakeRequest& request) { return alipay_->Answer(request); });
    Start("  course-basic: { enabled: true }\n" + PluginYaml(), {"course-basic", "pay-alipay"});
    Person("ann", {"creator"});
    Person("bob", {"learner"});
    Person("admin", {"admin"});
    kernel_->hooks().on(sdk::hooks::order_paid, [this](const sdk::OrderPaid&) { ++orders_paid_; });
    kernel_->hooks().on(sdk::hooks::order_refunded,
                        [this](const sdk::OrderRefunded&) { ++orders_refunded_; });
    course_ = Course("SQL in practice", 9900, "CNY");
  }

  std::string PluginYaml(const std::string& private_key = "", const std::string& public_key = "",
                         const std::string& app_id = kAppId) {
    return "  pay-alipay:\n    enabled: true\n    settings:\n      app_id: " + Quoted(app_id) +
           "\n      app_private_key: " +
           Quoted(private_key.empty() ? app_keys_.private_pem() : private_key) +
           "\n      alipay_public_key: " +
           Quoted(public_key.empty() ? alipay_keys_.public_base64() : public_key) +
           "\n      gateway_url: " + Quoted(gateway_ ? gateway_->url() + "/gateway.do" : "") +
           "\n      notify_url: \"https://shop.example/api/v1/payments/alipay/webhook\""
           "\n      return_url: \"https://shop.example/orders/{order_id}\""
           "\n      timeout_ms: 3000\n";
  }

  std::int64_t Course(const std::string& title, std::int64_t price, const std::string& currency) {
    return BasicCourse("ann", title, price, currency);
  }

  ApiAnswer Order(const std::string& key, std::int64_t course = 0) {
    ApiCall call{
        Method::post, "/api/v1/orders",
        nlohmann::json{{"course_id", course ? course : course_}, {"provider", "alipay"}}.dump(),
        tokens_.at("bob")};
    call.headers["idempotency-key"] = key;
    return call_api(*kernel_, call);
  }
  std::int64_t Placed(const std::string& key) {
    auto placed = Order(key);
    EXPECT_EQ(placed.status, 201) << placed.raw.body;
    return placed.body["order"]["id"].get<std::int64_t>();
  }

  // A notification as Alipay sends one for order `order`, before it is signed.
  Fields Notice(std::int64_t order, const std::string& status,
                const std::string& amount = "99.00") {
    return {{"notify_time", "2027-01-15 16:00:05"},
            {"notify_type", "trade_status_sync"},
            {"notify_id", "2027011500222160005a4e2a0b8f1e2b7c-" + status},
            {"charset", "utf-8"},
            {"version", "1.0"},
            {"sign_type", "RSA2"},
            {"app_id", kAppId},
            {"auth_app_id", kAppId},
            {"trade_no", alipay_->trade_no},
            {"out_trade_no", "lore_" + std::to_string(order)},
            {"trade_status", status},
            {"total_amount", amount},
            {"receipt_amount", amount},
            {"buyer_pay_amount", amount},
            {"invoice_amount", amount},
            {"point_amount", "0.00"},
            {"subject", "SQL in practice"},
            {"gmt_create", "2027-01-15 16:00:00"},
            {"gmt_payment", "2027-01-15 16:00:04"},
            {"seller_id", "2088101117955611"},
            {"buyer_id", "2088102177846880"},
            {"buyer_logon_id", "csq***@sandbox.com"},
            {"fund_bill_list", R"([{"amount":")" + amount + R"(","fundChannel":"ALIPAYACCOUNT"}])"},
            {"body", ""}};
  }
  // The refund notification Alipay sends: refund_fee is the trade's total refunded so far.
  Fields RefundNotice(std::int64_t order, const std::string& request_no,
                      const std::string& refunded_so_far, const std::string& status) {
    auto fields = Notice(order, status);
    fields["notify_id"] += "-" + request_no;
    fields["refund_fee"] = refunded_so_far;
    fields["gmt_refund"] = "2027-01-15 17:00:00.123";
    fields["out_biz_no"] = request_no;
    return fields;
  }
  std::string SignedBy(Fields fields, const EVP_PKEY& key) {
    fields["sign"] = pa::rsa2_sign(key, Content(fields, true));
    return FormEncoded(fields);
  }
  std::string Signed(const Fields& fields) { return SignedBy(fields, *alipay_keys_.key); }

  ApiAnswer Notify(const std::string& body) {
    ApiCall call{Method::post, "/api/v1/payments/alipay/webhook", body, ""};
    call.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    return call_api(*kernel_, call);
  }

  std::int64_t Bought(const std::string& key) {
    const auto order = Placed(key);
    const auto paid = Notify(Signed(Notice(order, "TRADE_SUCCESS")));
    EXPECT_EQ(paid.status, 200) << paid.raw.body;
    EXPECT_EQ(Status(order), "fulfilled");
    return order;
  }

  ApiAnswer AskRefund(std::int64_t order) {
    return Call(Method::post, "/api/v1/orders/" + std::to_string(order) + "/refund", "bob");
  }

  std::string Status(std::int64_t order) {
    return kernel_->commerce().orders().find(order)->status;
  }
  int ItemStatus() {
    return Call(Method::get, "/api/v1/courses/" + std::to_string(course_) + "/items/one", "bob")
        .status;
  }
  std::int64_t Count(const std::string& sql, std::int64_t order) {
    return kernel_->database().session().query_one(sql, {order})->get<std::int64_t>("n");
  }
  std::int64_t Events(std::int64_t order) {
    return Count("SELECT COUNT(*) AS n FROM lore_payment_events WHERE order_id = ?", order);
  }
  std::string Outcome(const std::string& event_id) {
    auto row = kernel_->database().session().query_one(
        "SELECT outcome FROM lore_payment_events WHERE provider = 'alipay' AND event_id = ?",
        {event_id});
    return row ? row->get<std::string>("outcome") : "(none)";
  }
  std::int64_t Refunded(std::int64_t order) {
    return Count("SELECT COALESCE(SUM(amount_minor), 0) AS n FROM lore_refunds WHERE order_id = ?",
                 order);
  }
  void LedgerIsBackAtZero() {
    for (const auto& balance : kernel_->commerce().ledger().balances())
      EXPECT_EQ(balance.balance_minor, 0) << balance.account;
  }

  // Made once per test process, when a test of this file first needs them.
  static const KeyPair& AppKeys() {
    static const KeyPair keys;
    return keys;
  }
  static const KeyPair& AlipayKeys() {
    static const KeyPair keys;
    return keys;
  }
  const KeyPair& app_keys_ = AppKeys();
  const KeyPair& alipay_keys_ = AlipayKeys();
  pa::Pkey app_public_;
  std::unique_ptr<FakeAlipay> alipay_;
  std::unique_ptr<FakeHttpServer> gateway_;
  std::int64_t course_ = 0;
  int orders_paid_ = 0;
  int orders_refunded_ = 0;
};

TEST_P(PayAlipay, TheCheckoutRedirectsToTheGatewayWithSignedParameters) {
  const auto placed = Order("k1");
  ASSERT_EQ(placed.status, 201) << placed.raw.body;
  const auto order = placed.body["order"]["id"].get<std::int64_t>();
  EXPECT_EQ(placed.body["checkout"]["kind"], "redirect");
  const auto url = placed.body["checkout"]["value"].get<std::string>();
  ASSERT_THAT(url, StartsWith(gateway_->url() + "/gateway.do?"));
  EXPECT_LE(url.size(), 2000u);
  const auto params = FormOf(url.substr(url.find('?') + 1));

  ASSERT_TRUE(params.count("sign"));
  EXPECT_TRUE(pa::rsa2_verify(*app_public_, Content(params, false), params.at("sign")))
      << Content(params, false);
  EXPECT_EQ(params.at("app_id"), kAppId);
  EXPECT_EQ(params.at("method"), "alipay.trade.page.pay");
  EXPECT_EQ(params.at("format"), "JSON");
  EXPECT_EQ(params.at("charset"), "utf-8");
  EXPECT_EQ(params.at("sign_type"), "RSA2");
  EXPECT_EQ(params.at("version"), "1.0");
  EXPECT_EQ(params.at("timestamp"), "2027-01-15 16:00:00") << "the kernel's clock, in Beijing";
  EXPECT_EQ(params.at("timestamp"), Beijing(clock_.now_ms()));
  EXPECT_EQ(params.at("notify_url"), "https://shop.example/api/v1/payments/alipay/webhook");
  EXPECT_EQ(params.at("return_url"), "https://shop.example/orders/" + std::to_string(order));

  const auto biz = nlohmann::json::parse(params.at("biz_content"));
  EXPECT_EQ(biz["out_trade_no"], "lore_" + std::to_string(order));
  EXPECT_EQ(biz["total_amount"], "99.00");
  EXPECT_EQ(biz["subject"], "SQL in practice");
  EXPECT_EQ(biz["product_code"], "FAST_INSTANT_TRADE_PAY");
  EXPECT_EQ(biz["time_expire"], Beijing(kernel_->commerce().orders().find(order)->expires_at_ms));

  // The check above can fail: the same parameters with another amount do not verify.
  auto altered = params;
  auto cheaper = biz;
  cheaper["total_amount"] = "0.01";
  altered["biz_content"] = cheaper.dump();
  EXPECT_FALSE(pa::rsa2_verify(*app_public_, Content(altered, false), params.at("sign")));
}

TEST_P(PayAlipay, OnlyYuanAreTaken) {
  const auto dollars = Course("SQL in dollars", 1500, "USD");
  const auto placed = Order("usd", dollars);
  // The provider refuses the order itself: its 400 and code reach the buyer.
  EXPECT_EQ(placed.status, 400) << placed.raw.body;
  EXPECT_EQ(placed.code(), "unsupported_currency");
  EXPECT_THAT(placed.message(), HasSubstr("CNY only"));
  const auto order = placed.body["error"]["details"]["order_id"].get<std::int64_t>();
  EXPECT_EQ(Status(order), "cancelled");
}

TEST_P(PayAlipay, ANotificationFulfilsTheOrderOnce) {
  const auto order = Placed("k1");
  EXPECT_EQ(ItemStatus(), 403);
  const auto body = Signed(Notice(order, "TRADE_SUCCESS"));
  auto paid = Notify(body);
  EXPECT_EQ(paid.status, 200);
  EXPECT_EQ(paid.raw.body, "success") << "exactly: Alipay stops sending it then";
  EXPECT_THAT(paid.raw.content_type, StartsWith("text/plain"));
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(ItemStatus(), 200);
  EXPECT_EQ(orders_paid_, 1);
  EXPECT_EQ(Outcome(alipay_->trade_no + ":paid"), "fulfilled");

  // Alipay sends it again (it did not read our answer in time): nothing doubles.
  auto again = Notify(body);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.raw.body, "success");
  // TRADE_FINISHED when the trade can no longer be refunded: the same payment.
  auto finished = Notify(Signed(Notice(order, "TRADE_FINISHED")));
  EXPECT_EQ(finished.status, 200);
  EXPECT_EQ(finished.raw.body, "success");
  EXPECT_EQ(orders_paid_, 1);
  EXPECT_EQ(Events(order), 1);
  EXPECT_EQ(kernel_->commerce().ledger().entries(std::nullopt, 0, 100).size(), 3u)
      << "one payment journal";
}

TEST_P(PayAlipay, ANotificationThatDoesNotVerifyChangesNothing) {
  const auto order = Placed("k1");
  auto fields = Notice(order, "TRADE_SUCCESS");
  fields["sign"] = pa::rsa2_sign(*alipay_keys_.key, Content(fields, true));
  auto tampered = fields;
  tampered["total_amount"] = "0.01";
  auto answer = Notify(FormEncoded(tampered));
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.code(), "bad_signature");
  // Signed by someone else (here: the app's own key).
  answer = Notify(SignedBy(Notice(order, "TRADE_SUCCESS"), *app_keys_.key));
  EXPECT_EQ(answer.status, 401);
  auto unsigned_fields = Notice(order, "TRADE_SUCCESS");
  answer = Notify(FormEncoded(unsigned_fields));
  EXPECT_EQ(answer.status, 401);
  auto rsa1 = fields;
  rsa1["sign_type"] = "RSA";
  EXPECT_EQ(Notify(FormEncoded(rsa1)).status, 400);
  EXPECT_EQ(Notify("out_trade_no=%zz").status, 400);
  EXPECT_EQ(Notify(R"({"trade_status":"TRADE_SUCCESS"})").status, 400);
  EXPECT_EQ(Status(order), "pending");
  EXPECT_EQ(Events(order), 0);
  EXPECT_EQ(orders_paid_, 0);
  // The genuine one still works afterwards.
  EXPECT_EQ(Notify(FormEncoded(fields)).raw.body, "success");
  EXPECT_EQ(Status(order), "fulfilled");
}

TEST_P(PayAlipay, ANotificationForAnotherAppOrSiteIsRefused) {
  const auto order = Placed("k1");
  auto other_app = Notice(order, "TRADE_SUCCESS");
  other_app["app_id"] = "2021000000000002";
  auto answer = Notify(Signed(other_app));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.code(), "wrong_app_id");
  auto other_site = Notice(order, "TRADE_SUCCESS");
  other_site["out_trade_no"] = "shop_" + std::to_string(order);
  answer = Notify(Signed(other_site));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.code(), "unknown_trade");
  EXPECT_EQ(Status(order), "pending");
  EXPECT_EQ(Events(order), 0);
}

TEST_P(PayAlipay, AWrongAmountDoesNotPayTheOrder) {
  const auto order = Placed("k1");
  auto answer = Notify(Signed(Notice(order, "TRADE_SUCCESS", "9.90")));
  // Acknowledged (sending it again cannot fix it), recorded, logged, nothing granted.
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.raw.body, "success");
  EXPECT_EQ(Outcome(alipay_->trade_no + ":paid"), "amount_mismatch");
  EXPECT_EQ(Status(order), "pending");
  EXPECT_EQ(ItemStatus(), 403);
  EXPECT_EQ(orders_paid_, 0);
}

TEST_P(PayAlipay, AClosedTradeIsAFailedPayment) {
  const auto order = Placed("k1");
  EXPECT_EQ(Notify(Signed(Notice(order, "TRADE_CLOSED"))).raw.body, "success");
  EXPECT_EQ(Outcome(alipay_->trade_no + ":closed"), "payment_failed");
  EXPECT_EQ(Status(order), "pending") << "payable until it expires";
}

TEST_P(PayAlipay, ARefundGoesThroughTheGatewayOnce) {
  const auto order = Bought("k1");
  const auto refund = AskRefund(order);
  ASSERT_EQ(refund.status, 200) << refund.raw.body;
  EXPECT_EQ(refund.body["refund"]["status"], "succeeded");
  const auto refund_id = "lore-refund-" + std::to_string(order);
  const auto trade = "lore_" + std::to_string(order);
  EXPECT_EQ(refund.body["refund"]["provider_ref"], trade + ":" + refund_id);
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(ItemStatus(), 403);
  const auto calls = alipay_->calls("alipay.trade.refund");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].signature_ok) << "signed with the app's key";
  EXPECT_EQ(calls[0].biz["out_request_no"], refund_id);
  EXPECT_EQ(calls[0].biz["refund_amount"], "99.00");
  EXPECT_EQ(calls[0].biz["out_trade_no"], trade);

  // Alipay then notifies the refund (the trade is closed: all of it went back). Counted once.
  const auto notified = Notify(Signed(RefundNotice(order, refund_id, "99.00", "TRADE_CLOSED")));
  EXPECT_EQ(notified.status, 200);
  EXPECT_EQ(notified.raw.body, "success");
  EXPECT_EQ(Outcome(alipay_->trade_no + ":refund:" + refund_id), "already_refunded");
  EXPECT_EQ(orders_refunded_, 1);
  EXPECT_EQ(Refunded(order), 9900);
  LedgerIsBackAtZero();
}

TEST_P(PayAlipay, RefundsMadeAtAlipayCountByTheirOwnAmounts) {
  const auto order = Bought("k1");
  // Two refunds in Alipay's console: 30.00, then 20.00. Each notification's refund_fee is
  // the total so far (30.00, then 50.00); the refund query gives each one's own amount.
  alipay_->Set([](FakeAlipay& a) { a.refunds["console-1"] = "30.00"; });
  auto first = Notify(Signed(RefundNotice(order, "console-1", "30.00", "TRADE_SUCCESS")));
  EXPECT_EQ(first.raw.body, "success") << first.raw.body;
  EXPECT_EQ(Outcome(alipay_->trade_no + ":refund:console-1"), "partial_refund");
  // Notified before the refund query shows it: not acknowledged, Alipay sends it again.
  auto early = Notify(Signed(RefundNotice(order, "console-2", "50.00", "TRADE_SUCCESS")));
  EXPECT_EQ(early.status, 503) << early.raw.body;
  EXPECT_EQ(early.code(), "refund_not_confirmed");
  alipay_->Set([](FakeAlipay& a) { a.refunds["console-2"] = "20.00"; });
  auto second = Notify(Signed(RefundNotice(order, "console-2", "50.00", "TRADE_SUCCESS")));
  EXPECT_EQ(second.raw.body, "success") << second.raw.body;
  EXPECT_EQ(Outcome(alipay_->trade_no + ":refund:console-2"), "partial_refund");
  EXPECT_EQ(Refunded(order), 5000) << "30.00 + 20.00, not 30.00 + 50.00";
  EXPECT_EQ(Status(order), "fulfilled") << "the buyer keeps the course";
  EXPECT_EQ(ItemStatus(), 200);
  // What remains goes back through the API.
  const auto rest = AskRefund(order);
  ASSERT_EQ(rest.status, 200) << rest.raw.body;
  const auto calls = alipay_->calls("alipay.trade.refund");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].biz["refund_amount"], "49.00");
  EXPECT_EQ(Status(order), "refunded");
  EXPECT_EQ(Refunded(order), 9900);
  LedgerIsBackAtZero();
}

TEST_P(PayAlipay, ARefusedRefundLeavesTheOrderAsItWas) {
  const auto order = Bought("k1");
  alipay_->Set([](FakeAlipay& a) { a.refund_mode = "refused"; });
  const auto refused = AskRefund(order);
  EXPECT_EQ(refused.status, 409) << refused.raw.body;
  EXPECT_EQ(refused.code(), "refund_refused");
  EXPECT_THAT(refused.message(), HasSubstr("ACQ.TRADE_NOT_ALLOW_REFUND"));
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(ItemStatus(), 200);
  EXPECT_EQ(Refunded(order), 0);
}

TEST_P(PayAlipay, ARefundAlipayCannotConfirmIsAskedForAgainWithTheSameRequestNumber) {
  kernel_->jobs().run_due();  // the kernel's recurring jobs, first runs
  const auto order = Bought("k1");
  alipay_->Set([](FakeAlipay& a) { a.refund_mode = "busy"; });
  auto busy = AskRefund(order);
  EXPECT_EQ(busy.status, 202) << busy.raw.body;
  EXPECT_EQ(busy.body["refund"]["status"], "pending");
  EXPECT_EQ(Status(order), "refunding") << "whether it refunded is unknown";
  alipay_->Set([](FakeAlipay& a) { a.http_status = 503; });
  clock_.advance(std::chrono::minutes(3));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "refunding") << "the gateway answered HTTP 503";
  // The gateway is back, and (as if an earlier attempt had gone through) has the refund
  // already: fund_change N, confirmed by the refund query.
  alipay_->Set([&](FakeAlipay& a) {
    a.http_status = 200;
    a.refund_mode = "ok";
    a.refunds["lore-refund-" + std::to_string(order)] = "99.00";
  });
  clock_.advance(std::chrono::minutes(3));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "refunded");
  const auto calls = alipay_->calls("alipay.trade.refund");
  ASSERT_EQ(calls.size(), 3u);
  for (const auto& call : calls) {
    EXPECT_EQ(call.biz["out_request_no"], "lore-refund-" + std::to_string(order));
    EXPECT_EQ(call.biz["refund_amount"], "99.00");
  }
  EXPECT_EQ(alipay_->calls("alipay.trade.fastpay.refund.query").size(), 1u);
  EXPECT_EQ(Refunded(order), 9900);
  LedgerIsBackAtZero();
}

TEST_P(PayAlipay, ARefundOfAnotherAmountUnderTheSameNumberWaitsForAPerson) {
  const auto order = Bought("k1");
  alipay_->Set([&](FakeAlipay& a) { a.refunds["lore-refund-" + std::to_string(order)] = "10.00"; });
  const auto answer = AskRefund(order);
  EXPECT_EQ(answer.status, 202) << answer.raw.body;
  EXPECT_EQ(Status(order), "refunding");
  EXPECT_EQ(Refunded(order), 0);
}

TEST_P(PayAlipay, ReconciliationFindsAPaymentThroughTradeQuery) {
  kernel_->jobs().run_due();
  const auto order = Placed("k1");
  // The buyer has not opened the page: Alipay has no such trade yet.
  clock_.advance(std::chrono::minutes(2));
  kernel_->jobs().run_due();
  ASSERT_EQ(alipay_->calls("alipay.trade.query").size(), 1u);
  EXPECT_EQ(alipay_->calls("alipay.trade.query")[0].biz["out_trade_no"],
            "lore_" + std::to_string(order));
  EXPECT_TRUE(alipay_->calls("alipay.trade.query")[0].signature_ok);
  EXPECT_EQ(Status(order), "pending");
  // Paid; the notification is lost.
  alipay_->Set([](FakeAlipay& a) { a.trade_status = "TRADE_SUCCESS"; });
  clock_.advance(std::chrono::minutes(2));
  kernel_->jobs().run_due();
  EXPECT_EQ(Status(order), "fulfilled");
  EXPECT_EQ(ItemStatus(), 200);
  EXPECT_EQ(Outcome("query:" + alipay_->trade_no + ":paid"), "fulfilled");
  // The notification, delivered at last, finds it paid.
  EXPECT_EQ(Notify(Signed(Notice(order, "TRADE_SUCCESS"))).raw.body, "success");
  EXPECT_EQ(Outcome(alipay_->trade_no + ":paid"), "already_paid");
  EXPECT_EQ(orders_paid_, 1);
  EXPECT_EQ(kernel_->commerce().ledger().entries(std::nullopt, 0, 100).size(), 3u);
}

TEST_P(PayAlipay, AnAnswerThatDoesNotVerifyIsNotBelieved) {
  kernel_->jobs().run_due();
  const auto order = Placed("k1");
  alipay_->Set([](FakeAlipay& a) {
    a.trade_status = "TRADE_SUCCESS";
    a.forge = true;
  });
  clock_.advance(std::chrono::minutes(2));
  kernel_->jobs().run_due();
  EXPECT_EQ(alipay_->calls("alipay.trade.query").size(), 1u);
  EXPECT_EQ(Status(order), "pending");
  EXPECT_EQ(Events(order), 0);
}

INSTANTIATE_TEST_SUITE_P(, PayAlipay, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

// ---- Settings ----

class PayAlipaySettings : public PayAlipay {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();  // no kernel yet: each test starts its own
  }
};

TEST_P(PayAlipaySettings, WithoutAppIdOrKeysThePluginRunsWithoutTheProvider) {
  Start("  course-basic: { enabled: true }\n  pay-alipay: { enabled: true }\n", {"pay-alipay"});
  Person("ann", {"creator"});
  Person("bob", {"learner"});
  course_ = Course("SQL in practice", 9900, "CNY");
  const auto placed = Order("k1");
  EXPECT_EQ(placed.status, 400) << placed.raw.body;
  EXPECT_THAT(placed.fields(), ::testing::ElementsAre("provider:unknown_provider"));
}

TEST_P(PayAlipaySettings, AnInvalidKeyFailsTheStartNamingTheSetting) {
  Start(
      "  pay-alipay:\n    enabled: true\n    settings:\n      app_id: \"2021000000000001\"\n"
      "      app_private_key: \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE "
      "KEY-----\\n\"\n      alipay_public_key: " +
          Quoted(alipay_keys_.public_base64()) + "\n",
      {});
  EXPECT_EQ(state_of(*kernel_, "pay-alipay"), "failed");
  EXPECT_THAT(reason_of(*kernel_, "pay-alipay"),
              HasSubstr("app_private_key: not an RSA private key"));
}

TEST_P(PayAlipaySettings, APrivateKeyWhereAlipaysPublicKeyBelongsIsRefused) {
  // alipay_public_key is not a secret setting (the plugin list shows it): a private key pasted
  // there by mistake must not start, whatever it is.
  Start(
      "  pay-alipay:\n    enabled: true\n    settings:\n      app_id: \"2021000000000001\"\n"
      "      app_private_key: " +
          Quoted(app_keys_.private_pem()) +
          "\n      alipay_public_key: " + Quoted(alipay_keys_.private_pem()) + "\n",
      {});
  EXPECT_EQ(state_of(*kernel_, "pay-alipay"), "failed");
  EXPECT_THAT(reason_of(*kernel_, "pay-alipay"),
              HasSubstr("alipay_public_key: a private key, not a public key"));
}

INSTANTIATE_TEST_SUITE_P(, PayAlipaySettings, ::testing::Values(Dialect::sqlite, Dialect::mysql),
                         dialect_name);

}  // namespace
}  // namespace lore::test
