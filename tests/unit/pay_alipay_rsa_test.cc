// pay-alipay's RSA2 with keys the test makes: sign and verify (and the scheme checked
// independently: SHA-256, PKCS#1 v1.5), tampering, every key form Alipay's tools produce, keys
// that must be refused, base64, and the gateway's signed answers read into states and refunds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstring>
#include <functional>

#include "../../plugins/pay-alipay/protocol.h"
#include "../../plugins/pay-alipay/rsa.h"
#include "support/encoded_key.h"

namespace {

namespace pa = pay_alipay;
using lore::sdk::payments::PaymentState;
using ::testing::HasSubstr;
using ::testing::Not;

pa::Pkey Generate(unsigned bits = 2048) { return pa::Pkey(EVP_RSA_gen(bits)); }

std::string PrivatePem(const EVP_PKEY& key, const char* structure = "PrivateKeyInfo") {
  return lore::test::encoded_key(key, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM", structure);
}
std::string PublicPem(const EVP_PKEY& key, const char* structure = "SubjectPublicKeyInfo") {
  return lore::test::encoded_key(key, OSSL_KEYMGMT_SELECT_PUBLIC_KEY, "PEM", structure);
}
// The bare base64 body, in lines of 64 like Alipay's key tool shows it.
std::string Bare(const std::string& der) {
  const auto text = pa::base64(der);
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 64) out += text.substr(i, 64) + "\n";
  return out;
}

class PayAlipayRsa : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    app_ = Generate().release();
    other_ = Generate().release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(app_);
    EVP_PKEY_free(other_);
  }
  static EVP_PKEY* app_;
  static EVP_PKEY* other_;
};
EVP_PKEY* PayAlipayRsa::app_ = nullptr;
EVP_PKEY* PayAlipayRsa::other_ = nullptr;

// ---- Sign and verify ----

TEST_F(PayAlipayRsa, ASignatureVerifiesWithThePublicKeyAndOnlyForItsContent) {
  const pa::Params params = {{"app_id", "2021000000000001"},
                             {"method", "alipay.trade.page.pay"},
                             {"biz_content", R"({"subject":"好","total_amount":"99.00"})"},
                             {"sign_type", "RSA2"}};
  const auto content = pa::signing_content(params, pa::Signed::request);
  const auto signature = pa::rsa2_sign(*app_, content);
  EXPECT_EQ(signature.size(), 344u) << "256 bytes in base64";
  EXPECT_EQ(signature, pa::rsa2_sign(*app_, content)) << "PKCS#1 v1.5 is deterministic";
  const auto public_key = pa::load_key(PublicPem(*app_), pa::KeyPart::public_key);
  EXPECT_TRUE(pa::rsa2_verify(*public_key, content, signature));

  auto tampered = params;
  tampered["biz_content"] = R"({"subject":"好","total_amount":"0.01"})";
  EXPECT_FALSE(
      pa::rsa2_verify(*public_key, pa::signing_content(tampered, pa::Signed::request), signature));
  tampered = params;
  tampered["sign_type"] = "RSA";  // sign_type is signed in requests
  EXPECT_FALSE(
      pa::rsa2_verify(*public_key, pa::signing_content(tampered, pa::Signed::request), signature));
  EXPECT_FALSE(pa::rsa2_verify(*other_, content, signature)) << "another key";
  auto flipped = signature;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(pa::rsa2_verify(*public_key, content, flipped));
  EXPECT_FALSE(pa::rsa2_verify(*public_key, content, signature.substr(0, 340)));
  EXPECT_FALSE(pa::rsa2_verify(*public_key, content, ""));
  EXPECT_FALSE(pa::rsa2_verify(*public_key, content, "not base64!"));
}

TEST_F(PayAlipayRsa, TheSchemeIsSha256WithPkcs1V15Padding) {
  // Checked without the plugin's code path: the SHA-256 digest verified as a PKCS#1 v1.5
  // signature with the raw EVP_PKEY_verify.
  const std::string content = "a=1&b=2&sign_type=RSA2";
  const auto signature = pa::from_base64(pa::rsa2_sign(*app_, content));
  ASSERT_TRUE(signature);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  ASSERT_EQ(
      EVP_Digest(content.data(), content.size(), digest, &digest_length, EVP_sha256(), nullptr), 1);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(app_, nullptr),
                                                                  EVP_PKEY_CTX_free);
  ASSERT_EQ(EVP_PKEY_verify_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()), 1);
  EXPECT_EQ(EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                            signature->size(), digest, digest_length),
            1);
}

// ---- Keys ----

TEST_F(PayAlipayRsa, EveryFormOfTheKeysLoads) {
  const std::string content = "k=v";
  const auto by_public = pa::load_key(PublicPem(*app_), pa::KeyPart::public_key);
  std::vector<std::pair<std::string, std::string>> privates = {
      {"PKCS#8 PEM", PrivatePem(*app_)},
      {"PKCS#1 PEM", PrivatePem(*app_, "type-specific")},
      {"PKCS#8 bare base64",
       Bare(lore::test::encoded_key(*app_, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER", "PrivateKeyInfo"))},
      {"PKCS#1 bare base64",
       Bare(lore::test::encoded_key(*app_, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER", "type-specific"))},
      {"one line with CRLF", "\r\n" +
                                 pa::base64(lore::test::encoded_key(
                                     *app_, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER", "PrivateKeyInfo")) +
                                 "\r\n"}};
  auto escaped = PrivatePem(*app_);  // as an environment variable often carries it
  for (auto at = escaped.find('\n'); at != std::string::npos; at = escaped.find('\n', at))
    escaped.replace(at, 1, "\\n");
  privates.emplace_back("PEM with \\n for line breaks", escaped);
  for (const auto& [form, text] : privates) {
    SCOPED_TRACE(form);
    const auto key = pa::load_key(text, pa::KeyPart::private_key);
    EXPECT_TRUE(pa::rsa2_verify(*by_public, content, pa::rsa2_sign(*key, content)));
  }
  EXPECT_THAT(PrivatePem(*app_, "type-specific"), HasSubstr("BEGIN RSA PRIVATE KEY"));
  const auto signature = pa::rsa2_sign(*app_, content);
  const std::vector<std::pair<std::string, std::string>> publics = {
      {"SubjectPublicKeyInfo PEM", PublicPem(*app_)},
      {"PKCS#1 PEM", PublicPem(*app_, "type-specific")},
      {"bare base64", Bare(lore::test::encoded_key(*app_, OSSL_KEYMGMT_SELECT_PUBLIC_KEY, "DER",
                                                   "SubjectPublicKeyInfo"))}};
  for (const auto& [form, text] : publics) {
    SCOPED_TRACE(form);
    EXPECT_TRUE(pa::rsa2_verify(*pa::load_key(text, pa::KeyPart::public_key), content, signature));
  }
}

TEST_F(PayAlipayRsa, WhatIsNotAUsableKeyIsRefusedSayingWhy) {
  auto refusal = [](const std::string& text, pa::KeyPart part) {
    try {
      pa::load_key(text, part);
      return std::string("loaded");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
  };
  EXPECT_THAT(refusal("not a key", pa::KeyPart::private_key), HasSubstr("neither PEM nor base64"));
  EXPECT_THAT(refusal("c2hvcnQ=", pa::KeyPart::public_key), HasSubstr("the base64 is not"));
  auto pem = PrivatePem(*app_);
  const auto cut = pem.substr(0, pem.size() / 2) + "\n-----END PRIVATE KEY-----\n";
  const auto cut_refusal = refusal(cut, pa::KeyPart::private_key);
  EXPECT_THAT(cut_refusal, HasSubstr("not an RSA private key in PEM"));
  // The reason never quotes the key.
  EXPECT_THAT(cut_refusal, Not(HasSubstr(pem.substr(40, 40))));
  EXPECT_THAT(refusal(PublicPem(*app_), pa::KeyPart::private_key),
              HasSubstr("not an RSA private key"));
  // A private key where a public one belongs (a setting that is not secret) is refused.
  EXPECT_THAT(refusal(PrivatePem(*app_), pa::KeyPart::public_key), HasSubstr("a private key"));
  EXPECT_THAT(refusal(Bare(lore::test::encoded_key(*app_, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER",
                                                   "PrivateKeyInfo")),
                      pa::KeyPart::public_key),
              HasSubstr("a private key"));
  EXPECT_THAT(refusal(PublicPem(*Generate(1024)), pa::KeyPart::public_key), HasSubstr("1024 bits"));
  // An EC key is no RSA2 key.
  pa::Pkey ec(EVP_EC_gen("P-256"));
  ASSERT_TRUE(ec);
  EXPECT_THAT(refusal(PublicPem(*ec), pa::KeyPart::public_key), HasSubstr("RSA"));
  // An encrypted key is refused, never asked for a passphrase on a terminal.
  struct Free {
    void operator()(OSSL_ENCODER_CTX* c) const { OSSL_ENCODER_CTX_free(c); }
  };
  std::unique_ptr<OSSL_ENCODER_CTX, Free> ctx(OSSL_ENCODER_CTX_new_for_pkey(
      app_, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM", "EncryptedPrivateKeyInfo", nullptr));
  ASSERT_TRUE(ctx);
  ASSERT_EQ(OSSL_ENCODER_CTX_set_cipher(ctx.get(), "AES-256-CBC", nullptr), 1);
  ASSERT_EQ(OSSL_ENCODER_CTX_set_passphrase(ctx.get(),
                                            reinterpret_cast<const unsigned char*>("secret"), 6),
            1);
  unsigned char* data = nullptr;
  std::size_t length = 0;
  ASSERT_EQ(OSSL_ENCODER_to_data(ctx.get(), &data, &length), 1);
  const std::string encrypted(reinterpret_cast<char*>(data), length);
  OPENSSL_free(data);
  EXPECT_THAT(encrypted, HasSubstr("ENCRYPTED PRIVATE KEY"));
  EXPECT_THAT(refusal(encrypted, pa::KeyPart::private_key), HasSubstr("not an RSA private key"));
}

TEST(PayAlipayBase64, StandardAlphabetWithPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\xfb\xff", 2), "+/8="}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(pa::base64(bytes), text);
    EXPECT_EQ(pa::from_base64(text), bytes) << text;
  }
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v=Zg=", "Zm-v", "Zm9v\n", "=Zg=", "AB=C"})
    EXPECT_EQ(pa::from_base64(bad), std::nullopt) << bad;
}

// ---- The gateway's answers ----

std::string Answer(const EVP_PKEY& key, const std::string& method, const std::string& raw) {
  return "{\"" + pa::response_key(method) + "\":" + raw + ",\"sign\":\"" + pa::rsa2_sign(key, raw) +
         "\"}";
}

int StatusOf(const std::function<void()>& call) {
  try {
    call();
    return 0;
  } catch (const lore::sdk::http::Error& e) {
    return e.status();
  }
}

TEST_F(PayAlipayRsa, AnAnswerIsBelievedOnlyWhenItsExactTextVerifies) {
  const std::string method = "alipay.trade.query";
  // Escapes and spaces as Alipay writes them: the signature covers the text, not a re-rendering.
  const std::string raw =
      R"({"code":"10000","msg":"Success","buyer_logon_id":"a\/b***","out_trade_no":"lore_42", "trade_no":"2026","trade_status":"TRADE_SUCCESS","total_amount":"99.00"})";
  const auto answer = pa::read_gateway_answer(Answer(*app_, method, raw), method, *app_);
  EXPECT_EQ(answer.code(), "10000");
  EXPECT_EQ(answer.fields["buyer_logon_id"], "a/b***");

  auto tampered = Answer(*app_, method, raw);
  tampered.replace(tampered.find("99.00"), 5, "0.01");
  EXPECT_EQ(StatusOf([&] { pa::read_gateway_answer(tampered, method, *app_); }), 502);
  EXPECT_EQ(StatusOf([&] { pa::read_gateway_answer(Answer(*other_, method, raw), method, *app_); }),
            502);
  // Unsigned: a success is never believed, a refusal only as an error.
  EXPECT_EQ(StatusOf([&] {
              pa::read_gateway_answer("{\"alipay_trade_query_response\":" + raw + "}", method,
                                      *app_);
            }),
            502);
  try {
    pa::read_gateway_answer(
        R"({"alipay_trade_query_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}})",
        method, *app_);
    FAIL() << "an unsigned refusal is an error";
  } catch (const lore::sdk::http::Error& e) {
    EXPECT_EQ(e.status(), 502);
    EXPECT_THAT(e.what(), HasSubstr("isv.invalid-signature"));
  }
  // The answer to another method is not this one's.
  EXPECT_EQ(StatusOf([&] {
              pa::read_gateway_answer(Answer(*app_, "alipay.trade.refund", raw), method, *app_);
            }),
            502);
  const auto routed = pa::read_gateway_answer(
      "{\"error_response\":" + std::string(R"({"code":"40001","sub_code":"isv.missing-method"})") +
          ",\"sign\":\"" +
          pa::rsa2_sign(*app_, R"({"code":"40001","sub_code":"isv.missing-method"})") + "\"}",
      method, *app_);
  EXPECT_EQ(routed.sub_code(), "isv.missing-method");
  EXPECT_EQ(StatusOf([&] { pa::read_gateway_answer("<html>busy</html>", method, *app_); }), 502);
}

pa::GatewayAnswer Fields(const nlohmann::json& fields) {
  pa::GatewayAnswer answer;
  answer.fields = fields;
  return answer;
}

TEST(PayAlipayQueryState, TradeStatusesMapToStates) {
  auto state = [](const std::string& status) {
    return pa::query_state(Fields({{"code", "10000"},
                                   {"out_trade_no", "lore_42"},
                                   {"trade_no", "2026010122001400001"},
                                   {"trade_status", status},
                                   {"total_amount", "100.5"}}),
                           "lore_42");
  };
  const auto paid = state("TRADE_SUCCESS");
  EXPECT_EQ(paid.kind, PaymentState::Kind::paid);
  EXPECT_EQ(paid.amount.amount_minor, 10050);
  EXPECT_EQ(paid.amount.currency, "CNY");
  EXPECT_EQ(paid.provider_ref, "lore_42");
  EXPECT_EQ(paid.event_id, "query:2026010122001400001:paid");
  EXPECT_EQ(state("TRADE_FINISHED").event_id, paid.event_id);
  EXPECT_EQ(state("TRADE_FINISHED").kind, PaymentState::Kind::paid);
  EXPECT_EQ(state("WAIT_BUYER_PAY").kind, PaymentState::Kind::pending);
  EXPECT_EQ(state("TRADE_CLOSED").kind, PaymentState::Kind::failed);
  EXPECT_EQ(
      pa::query_state(Fields({{"code", "40004"}, {"sub_code", "ACQ.TRADE_NOT_EXIST"}}), "lore_42")
          .kind,
      PaymentState::Kind::unknown);
  EXPECT_EQ(
      StatusOf([] {
        pa::query_state(Fields({{"code", "20000"}, {"sub_code", "isp.unknow-error"}}), "lore_42");
      }),
      502);
  EXPECT_EQ(StatusOf([] {
              pa::query_state(Fields({{"code", "10000"},
                                      {"out_trade_no", "lore_43"},
                                      {"trade_no", "1"},
                                      {"trade_status", "TRADE_SUCCESS"},
                                      {"total_amount", "99.00"}}),
                              "lore_42");
            }),
            502)
      << "an answer about another trade";
  EXPECT_EQ(StatusOf([] {
              pa::query_state(Fields({{"code", "10000"},
                                      {"out_trade_no", "lore_42"},
                                      {"trade_no", "1"},
                                      {"trade_status", "TRADE_SUCCESS"},
                                      {"total_amount", "99.001"}}),
                              "lore_42");
            }),
            502);
}

TEST(PayAlipayRefundAnswers, FundChangeSaysWhetherMoneyMovedNow) {
  EXPECT_EQ(pa::refund_answer(Fields({{"code", "10000"}, {"fund_change", "Y"}})),
            pa::RefundAnswer::succeeded);
  EXPECT_EQ(pa::refund_answer(Fields({{"code", "10000"}, {"fund_change", "N"}})),
            pa::RefundAnswer::check);
  EXPECT_EQ(pa::refund_answer(Fields({{"code", "10000"}})), pa::RefundAnswer::check);
  EXPECT_EQ(
      pa::refund_answer(Fields({{"code", "40004"}, {"sub_code", "ACQ.TRADE_NOT_ALLOW_REFUND"}})),
      pa::RefundAnswer::failed);
  EXPECT_EQ(pa::refund_answer(Fields({{"code", "40004"}, {"sub_code", "ACQ.SYSTEM_ERROR"}})),
            pa::RefundAnswer::unknown);
  EXPECT_EQ(pa::refund_answer(Fields({{"code", "20000"}})), pa::RefundAnswer::unknown);
  EXPECT_EQ(Fields({{"code", "40004"},
                    {"sub_code", "ACQ.SELLER_BALANCE_NOT_ENOUGH"},
                    {"sub_msg", "卖家余额不足"}})
                .reason(),
            "ACQ.SELLER_BALANCE_NOT_ENOUGH: 卖家余额不足");
}

TEST(PayAlipayRefundAnswers, TheRefundQueryGivesThatRefundsOwnAmount) {
  const nlohmann::json done = {{"code", "10000"},         {"out_trade_no", "lore_42"},
                               {"out_request_no", "r1"},  {"refund_amount", "20.00"},
                               {"total_amount", "99.00"}, {"refund_status", "REFUND_SUCCESS"}};
  EXPECT_EQ(pa::refunded_fen(Fields(done), "r1"), 2000);
  auto older = done;
  older.erase("refund_status");  // older answers: data without a status is a success
  EXPECT_EQ(pa::refunded_fen(Fields(older), "r1"), 2000);
  EXPECT_EQ(pa::refunded_fen(Fields(done), "r2"), std::nullopt) << "another refund's data";
  auto processing = done;
  processing["refund_status"] = "REFUND_PROCESSING";
  EXPECT_EQ(pa::refunded_fen(Fields(processing), "r1"), std::nullopt);
  EXPECT_EQ(pa::refunded_fen(Fields({{"code", "10000"}}), "r1"), std::nullopt) << "no such refund";
  EXPECT_EQ(
      pa::refunded_fen(Fields({{"code", "40004"}, {"sub_code", "ACQ.TRADE_NOT_EXIST"}}), "r1"),
      std::nullopt);
  EXPECT_EQ(StatusOf([] { pa::refunded_fen(Fields({{"code", "20000"}}), "r1"); }), 502);
}

}  // namespace
