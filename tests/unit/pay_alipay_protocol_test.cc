// pay-alipay's protocol without cryptography: the string RSA2 signs, amounts in yuan both ways,
// Beijing time, forms, out_trade_no, the subject, the raw text of a signed answer, and what a
// verified notification is taken to say.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "../../plugins/pay-alipay/protocol.h"

namespace {

namespace pa = pay_alipay;
using Kind = lore::sdk::payments::PaymentEvent::Kind;
using ::testing::HasSubstr;

// ---- The signing string ----

TEST(PayAlipaySigningContent, SortsByKeyDropsEmptyValuesAndKeepsValuesRaw) {
  const pa::Params params = {
      {"timestamp", "2026-01-01 08:00:00"},
      {"app_id", "2021000000000001"},
      {"biz_content", R"({"subject":"SQL & more = 好","total_amount":"9.90"})"},
      {"return_url", ""},
      {"method", "alipay.trade.page.pay"},
      {"Zeta", "capitals sort first"},
      {"sign_type", "RSA2"},
      {"sign", "c2lnbmF0dXJl"}};
  EXPECT_EQ(pa::signing_content(params, pa::Signed::request),
            "Zeta=capitals sort first&app_id=2021000000000001&biz_content={\"subject\":\"SQL & "
            "more = 好\",\"total_amount\":\"9.90\"}&method=alipay.trade.page.pay&sign_type=RSA2&"
            "timestamp=2026-01-01 08:00:00");
}

TEST(PayAlipaySigningContent, ANotificationLeavesOutSignAndSignType) {
  const pa::Params params = {
      {"trade_status", "TRADE_SUCCESS"}, {"sign_type", "RSA2"}, {"sign", "abc="},
      {"out_trade_no", "lore_7"},        {"buyer_id", ""},      {"notify_id", "n1"}};
  EXPECT_EQ(pa::signing_content(params, pa::Signed::notification),
            "notify_id=n1&out_trade_no=lore_7&trade_status=TRADE_SUCCESS");
  EXPECT_EQ(pa::signing_content(params, pa::Signed::request),
            "notify_id=n1&out_trade_no=lore_7&sign_type=RSA2&trade_status=TRADE_SUCCESS");
}

// ---- Amounts ----

TEST(PayAlipayAmounts, FenToYuanIsExact) {
  EXPECT_EQ(pa::yuan(0), "0.00");
  EXPECT_EQ(pa::yuan(1), "0.01");
  EXPECT_EQ(pa::yuan(10), "0.10");
  EXPECT_EQ(pa::yuan(9900), "99.00");
  EXPECT_EQ(pa::yuan(10050), "100.50");
  EXPECT_EQ(pa::yuan(pa::kMaxAmountFen), "100000000.00");
  EXPECT_EQ(pa::yuan(9'223'372'036'854'775'807LL), "92233720368547758.07");
  EXPECT_THROW(pa::yuan(-1), std::invalid_argument);
}

TEST(PayAlipayAmounts, YuanToFenIsExact) {
  EXPECT_EQ(pa::fen_of("0.01"), 1);
  EXPECT_EQ(pa::fen_of("0.1"), 10);
  EXPECT_EQ(pa::fen_of("100"), 10000);
  EXPECT_EQ(pa::fen_of("100.5"), 10050);
  EXPECT_EQ(pa::fen_of("100.50"), 10050);
  EXPECT_EQ(pa::fen_of("99.00"), 9900);
  EXPECT_EQ(pa::fen_of("0"), 0);
  EXPECT_EQ(pa::fen_of("0.29"), 29);  // 0.29 * 100 is 28.999999999999996 in binary floating point
  EXPECT_EQ(pa::fen_of("100000000.00"), pa::kMaxAmountFen);
}

TEST(PayAlipayAmounts, AnythingElseIsRefused) {
  for (const char* text : {"1.234",
                           "-1",
                           "-0.01",
                           "+1",
                           "",
                           ".5",
                           "5.",
                           "01",
                           "00.10",
                           "1e3",
                           " 1",
                           "1 ",
                           "1,00",
                           "1.2.3",
                           "0x10",
                           "１",
                           "100000000.01",
                           "999999999999",
                           "99999999999999999999",
                           "99999999999999999999999999999999999999.00",
                           "NaN",
                           "inf"})
    EXPECT_EQ(pa::fen_of(text), std::nullopt) << text;
}

TEST(PayAlipayAmounts, EveryAmountRoundTrips) {
  for (std::int64_t fen = 0; fen < 20'000; fen += 7) EXPECT_EQ(pa::fen_of(pa::yuan(fen)), fen);
  EXPECT_EQ(pa::fen_of(pa::yuan(pa::kMaxAmountFen - 1)), pa::kMaxAmountFen - 1);
}

// ---- Time ----

TEST(PayAlipayTime, BeijingIsUtcPlusEightWhateverTheMachinesZone) {
  EXPECT_EQ(pa::beijing_time(0), "1970-01-01 08:00:00");
  EXPECT_EQ(pa::beijing_time(-1), "1970-01-01 07:59:59");
  EXPECT_EQ(pa::beijing_time(1'767'196'800'000), "2026-01-01 00:00:00");  // 2025-12-31T16:00Z
  EXPECT_EQ(pa::beijing_time(1'767'196'799'999), "2025-12-31 23:59:59");  // rounded down
  EXPECT_EQ(pa::beijing_time(1'709'210'096'000), "2024-02-29 20:34:56");  // a leap day
  EXPECT_EQ(pa::beijing_time(951'782'400'000), "2000-02-29 08:00:00");
  EXPECT_EQ(pa::beijing_time(4'102'444'800'000), "2100-01-01 08:00:00");
}

// ---- Forms ----

TEST(PayAlipayForms, DecodesPlusAndEscapes) {
  std::string why;
  const auto form = pa::parse_form(
      "gmt_create=2026-01-01+08%3A00%3A00&sign=ab%2Bc%2F%3D&subject=%E5%A5%BD&empty=&&", why);
  ASSERT_TRUE(form) << why;
  EXPECT_EQ(form->at("gmt_create"), "2026-01-01 08:00:00");
  EXPECT_EQ(form->at("sign"), "ab+c/=");
  EXPECT_EQ(form->at("subject"), "好");
  EXPECT_EQ(form->at("empty"), "");
  EXPECT_EQ(form->size(), 4u);
}

TEST(PayAlipayForms, RefusesWhatCannotBeReadOneWay) {
  std::string why;
  EXPECT_FALSE(pa::parse_form("a=1&a=2", why));
  EXPECT_THAT(why, HasSubstr("twice"));
  // The sender's field name reaches the log: no line break of its own, no unbounded length.
  EXPECT_FALSE(pa::parse_form("x%0Aforged=1&x%0Aforged=2", why));
  EXPECT_EQ(why, "the field x?forged is given twice");
  EXPECT_FALSE(pa::parse_form(std::string(100, 'k') + "=1&" + std::string(100, 'k') + "=2", why));
  EXPECT_EQ(why, "the field " + std::string(64, 'k') + "... is given twice");
  EXPECT_FALSE(pa::parse_form("a=%4", why));
  EXPECT_FALSE(pa::parse_form("a=%zz", why));
  EXPECT_FALSE(pa::parse_form("a=1&b", why));
  EXPECT_FALSE(pa::parse_form("=1", why));
  std::string many;
  for (int i = 0; i <= 200; ++i) many += "k" + std::to_string(i) + "=v&";
  EXPECT_FALSE(pa::parse_form(many, why));
}

TEST(PayAlipayForms, EncodedFormsReadBackTheSame) {
  const pa::Params params = {{"biz_content", R"({"subject":"a&b=c d+e/好"})"},
                             {"timestamp", "2026-01-01 08:00:00"},
                             {"sign", "ab+/=="}};
  const auto encoded = pa::form_encoded(params);
  // Only the separators are left raw: three fields, three '=', two '&', nothing else.
  EXPECT_EQ(std::count(encoded.begin(), encoded.end(), '&'), 2);
  EXPECT_EQ(std::count(encoded.begin(), encoded.end(), '='), 3);
  EXPECT_EQ(encoded.find_first_of(" +/"), std::string::npos);
  std::string why;
  EXPECT_EQ(pa::parse_form(encoded, why), params);
}

// ---- out_trade_no ----

TEST(PayAlipayTradeNo, IsThePrefixAndTheOrderIdAndReadsBack) {
  EXPECT_EQ(pa::out_trade_no("lore_", 42), "lore_42");
  EXPECT_EQ(pa::order_of("lore_", "lore_42"), 42);
  EXPECT_EQ(pa::order_of("", "42"), 42);
  EXPECT_EQ(pa::order_of("lore_", "lore_9223372036854775807"), std::nullopt) << "19 digits";
  EXPECT_EQ(pa::order_of("lore_", "lore_999999999999999999"), 999999999999999999);
  for (const char* other :
       {"shop_42", "lore_", "lore_042", "lore_0", "lore_42x", "lore_-4", "LORE_42", "lore42", ""})
    EXPECT_EQ(pa::order_of("lore_", other), std::nullopt) << other;
}

TEST(PayAlipayTradeNo, PrefixesUseAlipaysCharacters) {
  EXPECT_TRUE(pa::valid_trade_no_prefix(""));
  EXPECT_TRUE(pa::valid_trade_no_prefix("lore_"));
  EXPECT_TRUE(pa::valid_trade_no_prefix("Shop2_"));
  EXPECT_FALSE(pa::valid_trade_no_prefix("lore-"));
  EXPECT_FALSE(pa::valid_trade_no_prefix("shop2")) << "shop2 + 7 would be shop + 27";
  EXPECT_FALSE(pa::valid_trade_no_prefix("a b"));
  EXPECT_FALSE(pa::valid_trade_no_prefix(std::string(33, 'a')));
}

// ---- The subject ----

TEST(PayAlipaySubject, LeavesOutAlipaysSpecialCharactersAndCutsOnACharacter) {
  EXPECT_EQ(pa::subject_of("SQL for PMs", 7), "SQL for PMs");
  EXPECT_EQ(pa::subject_of("A/B=C&D\n", 7), "A B C D");
  EXPECT_EQ(pa::subject_of("  /&= ", 7), "Order 7");
  EXPECT_EQ(pa::subject_of("", 7), "Order 7");
  EXPECT_EQ(pa::subject_of("数据库入门", 7, 7), "数据");  // 3 bytes a character: never half of one
  EXPECT_EQ(pa::subject_of(std::string(300, 'x'), 7).size(), 256u);
}

// ---- The raw text of a signed answer ----

TEST(PayAlipayRawMember, IsTheExactTextAsSent) {
  const std::string body =
      "{\"alipay_trade_query_response\" : {\"code\":\"10000\", \"msg\":\"Success\",\"url\":"
      "\"https:\\/\\/x\\/y\",\"nested\":{\"a\":[1,{\"b\":\"}\"}]},\"subject\":\"\\u597d\"} ,"
      "\"sign\":\"c2ln\"}";
  const auto raw = pa::raw_member(body, "alipay_trade_query_response");
  ASSERT_TRUE(raw);
  EXPECT_EQ(*raw,
            "{\"code\":\"10000\", \"msg\":\"Success\",\"url\":\"https:\\/\\/x\\/y\",\"nested\":{"
            "\"a\":[1,{\"b\":\"}\"}]},\"subject\":\"\\u597d\"}");
  EXPECT_EQ(pa::raw_member(body, "sign"), "\"c2ln\"");
}

TEST(PayAlipayRawMember, FindsOnlyTopLevelMembersAndRefusesAmbiguity) {
  // The name inside a string or a nested object is not the member.
  const std::string decoy =
      R"({"x":"\"alipay_trade_query_response\":{}","y":{"alipay_trade_query_response":1}})";
  EXPECT_EQ(pa::raw_member(decoy, "alipay_trade_query_response"), std::nullopt);
  EXPECT_EQ(pa::raw_member(R"({"a":1,"a":2})", "a"), std::nullopt) << "given twice";
  EXPECT_EQ(pa::raw_member(R"({"a":1)", "a"), std::nullopt) << "not JSON";
  EXPECT_EQ(pa::raw_member(R"([{"a":1}])", "a"), std::nullopt) << "not an object";
  EXPECT_EQ(pa::raw_member(R"({"a" : true , "b":null})", "a"), "true");
  EXPECT_EQ(pa::raw_member(R"({"a":-1.5e3})", "a"), "-1.5e3");
  EXPECT_EQ(pa::raw_member(R"({"\u0061":"escaped name"})", "a"), "\"escaped name\"");
  EXPECT_EQ(pa::response_key("alipay.trade.fastpay.refund.query"),
            "alipay_trade_fastpay_refund_query_response");
}

// ---- Notifications (already verified) ----

pa::Params Notification(const std::string& status) {
  return {{"app_id", "2021000000000001"},      {"out_trade_no", "lore_42"},
          {"trade_no", "2026010122001400001"}, {"trade_status", status},
          {"total_amount", "99.00"},           {"notify_id", "n-1"}};
}

TEST(PayAlipayNotification, SuccessAndFinishedAreOnePayment) {
  const auto success =
      pa::read_notification(Notification("TRADE_SUCCESS"), "2021000000000001", "lore_");
  EXPECT_EQ(success.event.kind, Kind::paid);
  EXPECT_EQ(success.event.order_id, 42);
  EXPECT_EQ(success.event.amount.amount_minor, 9900);
  EXPECT_EQ(success.event.amount.currency, "CNY");
  EXPECT_EQ(success.event.id, "2026010122001400001:paid");
  EXPECT_EQ(success.event.provider_ref, "lore_42");
  EXPECT_FALSE(success.refund_request);
  const auto finished =
      pa::read_notification(Notification("TRADE_FINISHED"), "2021000000000001", "lore_");
  EXPECT_EQ(finished.event.kind, Kind::paid);
  EXPECT_EQ(finished.event.id, success.event.id);
}

TEST(PayAlipayNotification, ClosedFailsAndWaitingIsRecordedOnly) {
  const auto closed =
      pa::read_notification(Notification("TRADE_CLOSED"), "2021000000000001", "lore_");
  EXPECT_EQ(closed.event.kind, Kind::failed);
  EXPECT_EQ(closed.event.id, "2026010122001400001:closed");
  const auto waiting =
      pa::read_notification(Notification("WAIT_BUYER_PAY"), "2021000000000001", "lore_");
  EXPECT_EQ(waiting.event.kind, Kind::other);
  EXPECT_EQ(waiting.event.id, "2026010122001400001:wait_buyer_pay");
}

TEST(PayAlipayNotification, ARefundNamesItsRequestAndLeavesTheAmountToTheRefundQuery) {
  auto params = Notification("TRADE_SUCCESS");
  params["refund_fee"] = "30.00";  // the trade's total refunded so far, not this refund's
  params["gmt_refund"] = "2026-01-02 10:00:00.123";
  params["out_biz_no"] = "lore-refund-42";
  const auto refund = pa::read_notification(params, "2021000000000001", "lore_");
  EXPECT_EQ(refund.event.kind, Kind::refunded);
  ASSERT_TRUE(refund.refund_request);
  EXPECT_EQ(*refund.refund_request, "lore-refund-42");
  EXPECT_EQ(refund.event.id, "2026010122001400001:refund:lore-refund-42");
  EXPECT_EQ(refund.event.provider_ref, pa::refund_ref("lore_42", "lore-refund-42"));
  EXPECT_EQ(refund.event.provider_ref, "lore_42:lore-refund-42");

  params["trade_status"] = "TRADE_CLOSED";  // all of it went back
  EXPECT_EQ(pa::read_notification(params, "2021000000000001", "lore_").event.kind, Kind::refunded);
  params.erase("out_biz_no");
  const auto unnamed = pa::read_notification(params, "2021000000000001", "lore_");
  EXPECT_EQ(unnamed.event.kind, Kind::other) << "a refund that cannot be told from another";
  EXPECT_FALSE(unnamed.refund_request);

  auto zero = Notification("TRADE_SUCCESS");
  zero["refund_fee"] = "0.00";
  EXPECT_EQ(pa::read_notification(zero, "2021000000000001", "lore_").event.kind, Kind::paid);
}

TEST(PayAlipayNotification, WhatIsNotThisSitesOrIsIncompleteIsRefused) {
  auto status_of = [](const pa::Params& params) {
    try {
      pa::read_notification(params, "2021000000000001", "lore_");
      return std::string("accepted");
    } catch (const lore::sdk::http::Error& e) {
      return std::to_string(e.status()) + " " + e.code();
    }
  };
  auto params = Notification("TRADE_SUCCESS");
  params["app_id"] = "2021000000000002";
  EXPECT_EQ(status_of(params), "400 wrong_app_id");
  params = Notification("TRADE_SUCCESS");
  params.erase("app_id");
  EXPECT_EQ(status_of(params), "400 wrong_app_id");
  params = Notification("TRADE_SUCCESS");
  params["out_trade_no"] = "shop_42";
  EXPECT_EQ(status_of(params), "400 unknown_trade");
  for (const char* field : {"out_trade_no", "trade_no", "trade_status", "total_amount"}) {
    params = Notification("TRADE_SUCCESS");
    params.erase(field);
    EXPECT_EQ(status_of(params), "400 malformed_notification") << field;
  }
  for (const char* amount : {"99", "99.001", "-99.00", "abc"}) {
    params = Notification("TRADE_SUCCESS");
    params["total_amount"] = amount;
    EXPECT_EQ(status_of(params),
              std::string(amount) == "99" ? "accepted" : "400 malformed_notification")
        << amount;
  }
  params = Notification("trade_success");
  EXPECT_EQ(status_of(params), "400 malformed_notification");
  params = Notification("TRADE_SUCCESS");
  params["trade_no"] = "20260101:paid";
  EXPECT_EQ(status_of(params), "400 malformed_notification");
}

}  // namespace
