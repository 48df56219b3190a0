// pay-sandbox's header-only parts: the webhook signature (format, freshness, rotation,
// constant-time match), the event it carries, checkout tokens, and the page helpers. The
// plugin's headers are reached by a relative path: plugins are not on the unit tests' include
// path, and these headers need only the SDK, nlohmann/json and libsodium (which lore_kernel
// links publicly).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../../plugins/pay-sandbox/page_text.h"
#include "../../plugins/pay-sandbox/signature.h"
#include "../../plugins/pay-sandbox/webhook.h"

namespace {

namespace ps = pay_sandbox;
using lore::sdk::http::Error;
using lore::sdk::http::Request;
using lore::sdk::payments::PaymentEvent;

constexpr std::int64_t kT = 1700000000;
const std::string kSecret = "whsec_test_secret";
const std::string kPrevious = "whsec_previous_secret";
const std::string kBody =
    R"({"amount_minor":9900,"created":1700000000000,"currency":"CNY","id":"evt_0123456789abcdef01234567","order_id":42,"payment_ref":"sbx_42","type":"payment.succeeded"})";

ps::SignatureCheck check(const std::string& header, const std::string& body = kBody,
                         std::int64_t now = kT, std::vector<std::string> secrets = {kSecret}) {
  return ps::check_signature(&header, body, now, 300, secrets);
}

Request webhook_request(const std::string& body, const std::string* header) {
  Request request;
  request.method = lore::sdk::http::Method::post;
  request.path = "/api/v1/payments/sandbox/webhook";
  request.body = body;
  if (header != nullptr) request.headers["sandbox-signature"] = *header;
  return request;
}

// The http::Error verify_webhook throws, as "<status> <code>"; "ok" when it does not.
std::string outcome(const Request& request, std::int64_t now = kT) {
  try {
    ps::verify_webhook(request, {kSecret}, now, 300);
    return "ok";
  } catch (const Error& e) {
    return std::to_string(e.status()) + " " + e.code();
  }
}

TEST(PaySandboxSignature, IsHmacSha256OfTimestampDotRawBody) {
  // RFC 4231 test case 2 pins the primitive.
  EXPECT_EQ(ps::hmac_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // The wire format, computed independently (Python's hmac module).
  EXPECT_EQ(ps::signature_header(kSecret, kT, kBody),
            "t=1700000000,v1=0ed21e20c1e523574cdef70c806e5cd06956519488636014b4eb13136b728519");
  EXPECT_EQ(check(ps::signature_header(kSecret, kT, kBody)), ps::SignatureCheck::ok);
}

TEST(PaySandboxSignature, RefusesMalformedHeaders) {
  const auto v1 = "v1=" + ps::hmac_hex(kSecret, ps::signed_payload(kT, kBody));
  EXPECT_EQ(ps::check_signature(nullptr, kBody, kT, 300, {kSecret}),
            ps::SignatureCheck::malformed_header);
  const std::vector<std::string> malformed{"",
                                           "garbage",
                                           "t=abc," + v1,
                                           v1,
                                           "t=1700000000",
                                           "t=1700000000,t=1700000000," + v1,
                                           "t=-5," + v1,
                                           "t=1700000000,v1=",
                                           "=x,t=1," + v1,
                                           "t=1700000000,," + v1};
  for (const auto& header : malformed)
    EXPECT_EQ(check(header), ps::SignatureCheck::malformed_header) << header;
  std::string many = "t=1700000000";
  for (int i = 0; i < 16; ++i) many += "," + v1;
  EXPECT_EQ(check(many), ps::SignatureCheck::malformed_header);
}

TEST(PaySandboxSignature, AcceptsSpacesUnknownSchemesAndUpperCaseHex) {
  const auto mac = ps::hmac_hex(kSecret, ps::signed_payload(kT, kBody));
  EXPECT_EQ(check("t=1700000000, v0=deadbeef, v1=" + mac), ps::SignatureCheck::ok);
  std::string upper = mac;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(check("v1=" + upper + ",t=1700000000"), ps::SignatureCheck::ok);
}

TEST(PaySandboxSignature, RefusesStaleTimestampsEitherWay) {
  const auto header = ps::signature_header(kSecret, kT, kBody);
  EXPECT_EQ(check(header, kBody, kT + 300), ps::SignatureCheck::ok);
  EXPECT_EQ(check(header, kBody, kT - 300), ps::SignatureCheck::ok);
  EXPECT_EQ(check(header, kBody, kT + 301), ps::SignatureCheck::stale);
  EXPECT_EQ(check(header, kBody, kT - 301), ps::SignatureCheck::stale);
  // A huge t neither overflows nor passes.
  EXPECT_EQ(check("t=9223372036854775807,v1=" + std::string(64, '0')), ps::SignatureCheck::stale);
}

TEST(PaySandboxSignature, RefusesAnotherKeyAnAlteredBodyOrTimestamp) {
  EXPECT_EQ(check(ps::signature_header("another secret", kT, kBody)),
            ps::SignatureCheck::bad_signature);
  auto altered = kBody;
  altered.replace(altered.find("9900"), 4, "0001");
  EXPECT_EQ(check(ps::signature_header(kSecret, kT, kBody), altered),
            ps::SignatureCheck::bad_signature);
  // The signature of t=kT presented with another t.
  const auto mac = ps::hmac_hex(kSecret, ps::signed_payload(kT, kBody));
  EXPECT_EQ(check("t=1700000001,v1=" + mac), ps::SignatureCheck::bad_signature);
  EXPECT_EQ(check("t=1700000000,v1=" + mac.substr(0, 63)), ps::SignatureCheck::bad_signature);
  EXPECT_EQ(check("t=1700000000,v1=" + std::string(64, 'z')), ps::SignatureCheck::bad_signature);
}

TEST(PaySandboxSignature, RotationAcceptsEitherSecretAndAnyV1Entry) {
  const auto old_header = ps::signature_header(kPrevious, kT, kBody);
  EXPECT_EQ(check(old_header, kBody, kT, {kSecret}), ps::SignatureCheck::bad_signature);
  EXPECT_EQ(check(old_header, kBody, kT, {kSecret, kPrevious}), ps::SignatureCheck::ok);
  const auto both = "t=1700000000,v1=" + std::string(64, 'a') +
                    ",v1=" + ps::hmac_hex(kSecret, ps::signed_payload(kT, kBody));
  EXPECT_EQ(check(both, kBody, kT, {kSecret, kPrevious}), ps::SignatureCheck::ok);
}

TEST(PaySandboxWebhook, VerifiesThenParsesTheEvent) {
  const auto header = ps::signature_header(kSecret, kT, kBody);
  const auto webhook = ps::verify_webhook(webhook_request(kBody, &header), {kSecret}, kT, 300);
  ASSERT_EQ(webhook.events.size(), 1u);
  const auto& event = webhook.events[0];
  EXPECT_EQ(event.id, "evt_0123456789abcdef01234567");
  EXPECT_EQ(event.kind, PaymentEvent::Kind::paid);
  EXPECT_EQ(event.order_id, 42);
  EXPECT_EQ(event.amount.amount_minor, 9900);
  EXPECT_EQ(event.amount.currency, "CNY");
  EXPECT_EQ(event.provider_ref, "sbx_42");
  EXPECT_EQ(webhook.acknowledgement.status, 200);
  EXPECT_EQ(webhook.acknowledgement.body, R"({"received":true})");
}

TEST(PaySandboxWebhook, AnswersEachProblemWithItsCode) {
  const auto good = ps::signature_header(kSecret, kT, kBody);
  EXPECT_EQ(outcome(webhook_request(kBody, nullptr)), "400 bad_signature_header");
  const std::string broken = "t=soon,v1=x";
  EXPECT_EQ(outcome(webhook_request(kBody, &broken)), "400 bad_signature_header");
  EXPECT_EQ(outcome(webhook_request(kBody, &good), kT + 301), "401 stale_signature");
  const auto forged = ps::signature_header("guess", kT, kBody);
  EXPECT_EQ(outcome(webhook_request(kBody, &forged)), "401 bad_signature");
  // The signature is checked before the body is read: unsigned garbage is a 401, not a 400.
  EXPECT_EQ(outcome(webhook_request("not json", &forged)), "401 bad_signature");

  const std::vector<std::string> malformed{
      "not json",
      "[1,2]",
      std::string(
          R"({"type":"payment.succeeded","order_id":1,"amount_minor":1,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"evt_1","order_id":1,"amount_minor":1,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"evt_1","type":"payment.succeeded","amount_minor":1,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"evt_1","type":"payment.succeeded","order_id":1,"amount_minor":-1,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"evt_1","type":"payment.succeeded","order_id":1,"amount_minor":1.5,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"evt_1","type":"payment.succeeded","order_id":"1","amount_minor":1,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"","type":"payment.succeeded","order_id":1,"amount_minor":1,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"evt_1","type":"payment.succeeded","order_id":18446744073709551615,"amount_minor":1,"currency":"CNY","payment_ref":"sbx_1"})"),
      std::string(
          R"({"id":"evt_1","type":"payment.succeeded","order_id":1,"amount_minor":1,"currency":"CNY"})")};
  for (const auto& body : malformed) {
    const auto header = ps::signature_header(kSecret, kT, body);
    EXPECT_EQ(outcome(webhook_request(body, &header)), "400 malformed_event") << body;
  }
}

TEST(PaySandboxWebhook, MapsTypesToKindsAndRoundTripsItsOwnEvents) {
  EXPECT_EQ(ps::kind_of("payment.succeeded"), PaymentEvent::Kind::paid);
  EXPECT_EQ(ps::kind_of("payment.failed"), PaymentEvent::Kind::failed);
  EXPECT_EQ(ps::kind_of("refund.succeeded"), PaymentEvent::Kind::refunded);
  EXPECT_EQ(ps::kind_of("payment.disputed"), PaymentEvent::Kind::other);

  const ps::Event sent{"evt_abc", "payment.failed", 7, 1999, "USD", ps::payment_ref(7), 1};
  const auto body = ps::event_body(sent);
  const auto header = ps::signature_header(kSecret, kT, body);
  const auto webhook = ps::verify_webhook(webhook_request(body, &header), {kSecret}, kT, 300);
  ASSERT_EQ(webhook.events.size(), 1u);
  EXPECT_EQ(webhook.events[0].id, "evt_abc");
  EXPECT_EQ(webhook.events[0].kind, PaymentEvent::Kind::failed);
  EXPECT_EQ(webhook.events[0].order_id, 7);
  EXPECT_EQ(webhook.events[0].amount, (lore::sdk::courses::Price{1999, "USD"}));
  EXPECT_EQ(webhook.events[0].provider_ref, "sbx_7");
}

TEST(PaySandboxCheckoutToken, BindsOrderAmountCurrencyAndExpiry) {
  const auto key = ps::checkout_key(kSecret);
  const ps::CheckoutClaim claim{42, 9900, "CNY", kT + 1800, "SQL <for> \"PMs\" — 第一课"};
  const auto token = ps::checkout_token(key, claim);
  for (char c : token)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
        << token;

  auto read = ps::read_checkout_token(token, 42, kT, {key});
  ASSERT_EQ(read.check, ps::TokenCheck::ok);
  EXPECT_EQ(read.claim.order_id, 42);
  EXPECT_EQ(read.claim.amount_minor, 9900);
  EXPECT_EQ(read.claim.currency, "CNY");
  EXPECT_EQ(read.claim.expires_s, kT + 1800);
  EXPECT_EQ(read.claim.title, claim.title);

  EXPECT_EQ(ps::read_checkout_token(token, 43, kT, {key}).check, ps::TokenCheck::invalid);
  EXPECT_EQ(ps::read_checkout_token(token, 42, kT + 1800, {key}).check, ps::TokenCheck::expired);
  EXPECT_EQ(ps::read_checkout_token(token, 42, kT, {ps::checkout_key("other")}).check,
            ps::TokenCheck::invalid);
  // The webhook secret itself is not the checkout key.
  EXPECT_EQ(ps::read_checkout_token(token, 42, kT, {kSecret}).check, ps::TokenCheck::invalid);
  // Rotation: a link made with the previous secret still opens.
  EXPECT_EQ(ps::read_checkout_token(token, 42, kT, {ps::checkout_key("new"), key}).check,
            ps::TokenCheck::ok);

  // Another amount under the same signature.
  auto cheaper = claim;
  cheaper.amount_minor = 1;
  const auto other = ps::checkout_token(key, cheaper);
  const auto forged = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_EQ(ps::read_checkout_token(forged, 42, kT, {key}).check, ps::TokenCheck::invalid);
  const std::vector<std::string> garbage{"", ".", "abc", "x." + std::string(64, '0'), token + "0"};
  for (const auto& text : garbage)
    EXPECT_EQ(ps::read_checkout_token(text, 42, kT, {key}).check, ps::TokenCheck::invalid) << text;
}

TEST(PaySandboxPage, FormatsMinorUnitsWithoutFloatingPoint) {
  EXPECT_EQ(ps::format_amount(9900, "CNY"), "99.00 CNY");
  EXPECT_EQ(ps::format_amount(5, "CNY"), "0.05 CNY");
  EXPECT_EQ(ps::format_amount(0, "USD"), "0.00 USD");
  EXPECT_EQ(ps::format_amount(123456789, "EUR"), "1234567.89 EUR");
  EXPECT_EQ(ps::format_amount(500, "JPY"), "500 JPY");
  EXPECT_EQ(ps::format_amount(1234, "KWD"), "1.234 KWD");
  EXPECT_EQ(ps::format_amount(-150, "CNY"), "-1.50 CNY");
  EXPECT_EQ(ps::format_amount(std::numeric_limits<std::int64_t>::min(), "CNY"),
            "-92233720368547758.08 CNY");
}

TEST(PaySandboxPage, EscapesHtmlAndReadsFormFields) {
  EXPECT_EQ(ps::html_escape(R"(<a href="x" onclick='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(ps::form_field("t=abc.def", "t"), "abc.def");
  EXPECT_EQ(ps::form_field("x=1&t=a%2Bb+c&t=second", "t"), "a+b c");
  EXPECT_EQ(ps::form_field("t", "t"), "");
  EXPECT_EQ(ps::form_field("x=1", "t"), std::nullopt);
  EXPECT_EQ(ps::form_field("t=%zz", "t"), std::nullopt);
  EXPECT_EQ(ps::form_field("t=%4", "t"), std::nullopt);
  EXPECT_EQ(ps::form_field("", "t"), std::nullopt);
}

}  // namespace
