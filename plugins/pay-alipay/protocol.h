// Alipay's open-platform protocol as pay-alipay speaks it, header-only so that the unit tests
// can reach it: amounts in yuan, Beijing time, the string that RSA2 signs, forms, the merchant's
// trade number, the gateway's signed JSON answers, and what an asynchronous notification says.
// Nothing here does I/O; pay_alipay.cc calls the gateway with these.
//
// Reference: opendocs.alipay.com (alipay.trade.page.pay, alipay.trade.query, alipay.trade.refund,
// alipay.trade.fastpay.refund.query, "异步通知说明", "自行实现验签").
#pragma once

#include <lore/sdk/http.h>
#include <lore/sdk/outbound_http.h>
#include <lore/sdk/payments.h>
#include <lore/sdk/text.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "rsa.h"

namespace pay_alipay {

namespace payments = lore::sdk::payments;
namespace http = lore::sdk::http;

using Params = std::map<std::string, std::string>;  // sorted by key, byte by byte (ASCII)

inline constexpr std::string_view kCurrency = "CNY";  // Alipay's trade API settles in yuan only
inline constexpr std::string_view kProductCode = "FAST_INSTANT_TRADE_PAY";  // page pay

// ---- Amounts: integer fen <-> Alipay's decimal yuan ("99.00") ----

// Alipay's bounds for total_amount and refund_amount: 0.01 to 100,000,000.00 yuan.
inline constexpr std::int64_t kMaxAmountFen = 100'000'000LL * 100;

// "99.00" for 9900. Exact for any amount of zero or more; throws std::invalid_argument for a
// negative one (no such price).
inline std::string yuan(std::int64_t fen) {
  if (fen < 0) throw std::invalid_argument("a negative amount has no Alipay form");
  const auto cents = fen % 100;
  return std::to_string(fen / 100) + (cents < 10 ? ".0" : ".") + std::to_string(cents);
}

// 9900 for "99", "99.0" or "99.00": digits without a sign or leading zeros, at most two decimals,
// at most kMaxAmountFen. nullopt for anything else ("1.234", "-1", "1e3", " 1", "01", "1.").
// Integer arithmetic only: a binary double cannot hold 0.1 yuan.
inline std::optional<std::int64_t> fen_of(std::string_view text) {
  const auto dot = text.find('.');
  const auto whole = text.substr(0, dot);
  const auto fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || (whole.size() > 1 && whole[0] == '0')) return std::nullopt;
  if (dot != std::string_view::npos && (fraction.empty() || fraction.size() > 2))
    return std::nullopt;
  // Past 11 digits of yuan the amount is over the bound anyway (and cannot overflow below).
  if (whole.size() > 11) return std::nullopt;
  std::int64_t fen = 0;
  for (const char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    fen = fen * 10 + (c - '0');
  }
  fen *= 100;
  std::int64_t scale = 10;
  for (const char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
    fen += (c - '0') * scale;
    scale /= 10;
  }
  if (fen > kMaxAmountFen) return std::nullopt;
  return fen;
}

// ---- Time ----

// "yyyy-MM-dd HH:mm:ss" in Beijing time (UTC+8 all year: China has no daylight saving) for
// milliseconds since the epoch, whatever the machine's time zone. Integer civil-date arithmetic
// (H. Hinnant's days_from_civil, inverted) instead of gmtime, so no time_t range matters.
inline std::string beijing_time(std::int64_t ms) {
  auto floor_div = [](std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
  };
  const std::int64_t seconds = floor_div(ms, 1000) + 8 * 3600;
  const std::int64_t days = floor_div(seconds, 86400);
  const std::int64_t of_day = seconds - days * 86400;
  const std::int64_t z = days + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char text[128];  // room for six int64s, which the compiler cannot rule out
  std::snprintf(text, sizeof text, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(of_day / 3600),
                static_cast<long long>(of_day % 3600 / 60), static_cast<long long>(of_day % 60));
  return text;
}

// ---- The signing string ----

enum class Signed {
  request,       // what the merchant sends: every parameter but `sign` (sign_type included)
  notification,  // what Alipay sends: every parameter but `sign` and `sign_type`
};

// `k1=v1&k2=v2...`: the parameters sorted by key (ASCII), empty values left out, values raw (not
// URL-encoded). What RSA2 signs on both sides.
inline std::string signing_content(const Params& params, Signed which) {
  std::string content;
  for (const auto& [key, value] : params) {
    if (key == "sign" || value.empty()) continue;
    if (which == Signed::notification && key == "sign_type") continue;
    if (!content.empty()) content += '&';
    content += key;
    content += '=';
    content += value;
  }
  return content;
}

// ---- Forms ----

// `k=v&...`, each side percent-encoded (a GET query or a form body), keys in order.
inline std::string form_encoded(const Params& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += lore::sdk::outbound::percent_encoded(key);
    out += '=';
    out += lore::sdk::outbound::percent_encoded(value);
  }
  return out;
}

inline constexpr std::size_t kMaxFormFields = 200;

// An application/x-www-form-urlencoded body: '+' is a space, %XX a byte. nullopt (with `why`)
// for a broken escape, a field without '=', an empty name, a name given twice (which of the two
// was signed?) or too many fields.
// A sender's text as it may appear in a log line or an error: printable ASCII kept, anything
// else (a line break that would forge a log line, bytes of another encoding) as '?', at most
// 64 bytes.
inline std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (const char c : text.substr(0, kMax)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  if (text.size() > kMax) out += "...";
  return out;
}

inline std::optional<Params> parse_form(std::string_view body, std::string& why) {
  auto decode = [](std::string_view text, std::string& out) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    out.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out += ' ';
      } else if (text[i] == '%') {
        if (i + 2 >= text.size()) return false;
        const int high = hex(text[i + 1]);
        const int low = hex(text[i + 2]);
        if (high < 0 || low < 0) return false;
        out += static_cast<char>(high * 16 + low);
        i += 2;
      } else {
        out += text[i];
      }
    }
    return true;
  };
  Params params;
  std::string key;
  std::string value;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto field = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (field.empty()) continue;  // "a=1&&b=2", a trailing '&'
    const auto equals = field.find('=');
    if (equals == std::string_view::npos) {
      why = "a field without '='";
      return std::nullopt;
    }
    if (!decode(field.substr(0, equals), key) || !decode(field.substr(equals + 1), value)) {
      why = "a broken %-escape";
      return std::nullopt;
    }
    if (key.empty()) {
      why = "a field without a name";
      return std::nullopt;
    }
    if (params.size() >= kMaxFormFields) {
      why = "more than " + std::to_string(kMaxFormFields) + " fields";
      return std::nullopt;
    }
    if (!params.emplace(key, value).second) {
      why = "the field " + printable(key) + " is given twice";
      return std::nullopt;
    }
  }
  return params;
}

// ---- The merchant's trade number (out_trade_no) ----

// Alipay: "64 characters at most, letters, digits and underscores only, unique for the
// merchant". The prefix names the site (several sites may share one Alipay app) and the
// order id makes it unique within the site. It does not end in a digit, so that no two
// prefixes make the same number (`shop` + 27 and `shop2` + 7).
inline bool valid_trade_no_prefix(std::string_view prefix) {
  if (prefix.size() > 32) return false;
  if (!prefix.empty() && prefix.back() >= '0' && prefix.back() <= '9') return false;
  for (const char c : prefix)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

inline std::string out_trade_no(std::string_view prefix, std::int64_t order_id) {
  return std::string(prefix) + std::to_string(order_id);
}

// The order id in one of this site's out_trade_no, or nullopt (another site's, or not one).
inline std::optional<std::int64_t> order_of(std::string_view prefix, std::string_view trade_no) {
  if (!trade_no.starts_with(prefix)) return std::nullopt;
  const auto digits = trade_no.substr(prefix.size());
  if (digits.empty() || digits.size() > 18 || digits[0] == '0') return std::nullopt;
  std::int64_t id = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id;
}

// A refund's reference at the provider, as the kernel records it (lore_refunds): the same
// whether the kernel's own refund request confirms it or a notification reports it, so it counts
// once. out_request_no is unique per trade only, hence the trade's number in front.
inline std::string refund_ref(std::string_view out_trade_no, std::string_view out_request_no) {
  return std::string(out_trade_no) + ":" + std::string(out_request_no);
}

// ---- What the buyer sees ----

// Alipay's `subject` (256 characters at most; "no special characters such as / = &"): the
// order's title with those and control characters turned into spaces, cut at `max_bytes` on
// a UTF-8 boundary; "Order <id>" when nothing is left.
inline std::string subject_of(std::string_view title, std::int64_t order_id,
                              std::size_t max_bytes = 256) {
  std::string subject;
  for (const char c : title) {
    const auto byte = static_cast<unsigned char>(c);
    subject += (c == '/' || c == '=' || c == '&' || byte < 0x20 || byte == 0x7F) ? ' ' : c;
  }
  if (subject.size() > max_bytes) {
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(subject[end]) & 0xC0) == 0x80) --end;
    subject.resize(end);
  }
  const auto first = subject.find_first_not_of(' ');
  if (first == std::string::npos) return "Order " + std::to_string(order_id);
  subject.erase(0, first);
  subject.erase(subject.find_last_not_of(' ') + 1);
  return subject;
}

// ---- The gateway's answers ----

namespace detail {

inline void skip_spaces(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
}

// s[i] is '"': past the closing quote, escapes included.
inline bool skip_string(std::string_view s, std::size_t& i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      ++i;
      return true;
    }
  }
  return false;
}

// Past one JSON value starting at s[i] (already known to be valid JSON).
inline bool skip_value(std::string_view s, std::size_t& i) {
  if (i >= s.size()) return false;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        if (!skip_string(s, i)) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) {
          ++i;
          return true;
        }
      }
      ++i;
    }
    return false;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\r' && s[i] != '\n')
    ++i;
  return true;
}

}  // namespace detail

// The exact text of the value of the top-level member `key` of the JSON object `json` (what
// Alipay signs in an answer: the bytes as sent, never re-serialised). nullopt when `json` is not
// a JSON object, has no such member, or has it twice.
inline std::optional<std::string_view> raw_member(std::string_view json, std::string_view key) {
  if (nlohmann::json::parse(json, nullptr, false).is_discarded()) return std::nullopt;
  std::size_t i = 0;
  detail::skip_spaces(json, i);
  if (i >= json.size() || json[i] != '{') return std::nullopt;
  ++i;
  std::optional<std::string_view> found;
  while (true) {
    detail::skip_spaces(json, i);
    if (i < json.size() && json[i] == '}') break;
    if (i >= json.size() || json[i] != '"') return std::nullopt;
    const auto key_start = i;
    if (!detail::skip_string(json, i)) return std::nullopt;
    // A key with escapes is compared decoded.
    const auto name = nlohmann::json::parse(json.substr(key_start, i - key_start), nullptr, false);
    detail::skip_spaces(json, i);
    if (i >= json.size() || json[i] != ':') return std::nullopt;
    ++i;
    detail::skip_spaces(json, i);
    const auto value_start = i;
    if (!detail::skip_value(json, i)) return std::nullopt;
    if (name.is_string() && name.get<std::string>() == key) {
      if (found) return std::nullopt;  // twice: which one was signed?
      found = json.substr(value_start, i - value_start);
    }
    detail::skip_spaces(json, i);
    if (i < json.size() && json[i] == ',') {
      ++i;
      continue;
    }
    if (i < json.size() && json[i] == '}') break;
    return std::nullopt;
  }
  return found;
}

// "alipay_trade_query_response" for "alipay.trade.query".
inline std::string response_key(std::string_view method) {
  std::string key(method);
  for (auto& c : key)
    if (c == '.') c = '_';
  return key + "_response";
}

inline std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An answer of the gateway whose signature verified with Alipay's public key.
struct GatewayAnswer {
  nlohmann::json fields;  // the object under "<method>_response"
  std::string code() const { return string_field(fields, "code"); }
  std::string sub_code() const { return string_field(fields, "sub_code"); }
  // "ACQ.TRADE_NOT_EXIST: 交易不存在" (or the generic msg): for messages and logs.
  std::string reason() const {
    const auto sub = sub_code();
    auto text = string_field(fields, "sub_msg");
    if (text.empty()) text = string_field(fields, "msg");
    return (sub.empty() ? code() : sub) + (text.empty() ? std::string() : ": " + text);
  }
};

// Reads and verifies a gateway answer to `method`: {"<method>_response": {...}, "sign": "..."}
// (or "error_response" for a request the gateway could not route). The signature covers the
// exact text of the response object. An unsigned answer is believed only to say that nothing was
// done, and then only as an error: everything the callers act on is signed. Throws
// http::Error(502) for an answer that is not JSON, has no response, or does not verify.
inline GatewayAnswer read_gateway_answer(std::string_view body, std::string_view method,
                                         const EVP_PKEY& alipay_public_key) {
  auto bad = [&](const std::string& why) {
    return http::Error(502, "provider_error",
                       "Alipay's answer to " + std::string(method) + " is unusable: " + why);
  };
  auto raw = raw_member(body, response_key(method));
  if (!raw) raw = raw_member(body, "error_response");
  if (!raw) throw bad("no " + response_key(method) + " in it (or it is not JSON)");
  GatewayAnswer answer;
  answer.fields = nlohmann::json::parse(*raw, nullptr, false);
  if (!answer.fields.is_object()) throw bad("the response is not a JSON object");
  const auto sign_text = raw_member(body, "sign");
  const auto sign = sign_text ? nlohmann::json::parse(*sign_text, nullptr, false) : nullptr;
  if (!sign.is_string() || sign.get<std::string>().empty()) {
    if (answer.code() == "10000") throw bad("it is not signed");
    // The gateway does not sign what it refuses before reading the request (a wrong app_id or
    // signature): it did nothing, but nothing more can be concluded from an unsigned answer.
    throw http::Error(502, "provider_error",
                      "Alipay's gateway refused " + std::string(method) +
                          " (unsigned answer): " + answer.reason());
  }
  if (!rsa2_verify(alipay_public_key, *raw, sign.get<std::string>()))
    throw bad("its signature does not verify with alipay_public_key");
  return answer;
}

// ---- trade.query ----

// What alipay.trade.query's verified answer says of `trade_no` (our out_trade_no).
inline payments::PaymentState query_state(const GatewayAnswer& answer,
                                          std::string_view our_trade_no) {
  payments::PaymentState state;
  const auto code = answer.code();
  if (code == "40004" && answer.sub_code() == "ACQ.TRADE_NOT_EXIST") {
    // The buyer never opened the page (page.pay creates the trade when the buyer signs in).
    state.kind = payments::PaymentState::Kind::unknown;
    return state;
  }
  if (code != "10000")
    throw http::Error(502, "provider_error",
                      "Alipay could not say how the trade stands: " + answer.reason());
  if (string_field(answer.fields, "out_trade_no") != our_trade_no)
    throw http::Error(502, "provider_error",
                      "Alipay answered about another trade than " + std::string(our_trade_no));
  const auto trade_no = string_field(answer.fields, "trade_no");
  const auto status = string_field(answer.fields, "trade_status");
  state.provider_ref = std::string(our_trade_no);
  if (status == "TRADE_SUCCESS" || status == "TRADE_FINISHED") {
    const auto fen = fen_of(string_field(answer.fields, "total_amount"));
    if (!fen || trade_no.empty() || trade_no.size() > 64)
      throw http::Error(502, "provider_error",
                        "Alipay's paid trade has no usable total_amount or trade_no");
    state.kind = payments::PaymentState::Kind::paid;
    state.amount = {*fen, std::string(kCurrency)};
    // One id for the payment whichever of the two statuses reconciliation sees. The webhook's
    // id differs ("<trade_no>:paid"): the kernel moves an order to paid once, and the later
    // one finds it paid under the same provider_ref (already_paid), never paid twice.
    state.event_id = "query:" + trade_no + ":paid";
  } else if (status == "TRADE_CLOSED") {
    state.kind = payments::PaymentState::Kind::failed;
  } else if (status == "WAIT_BUYER_PAY") {
    state.kind = payments::PaymentState::Kind::pending;
  }
  return state;
}

// ---- trade.refund and trade.fastpay.refund.query ----

enum class RefundAnswer {
  succeeded,  // code 10000, fund_change Y: the money went back now
  check,      // code 10000, fund_change N (or none): done before for this out_request_no, or
              // still in progress: the refund query says which (Alipay's advice)
  failed,     // a business refusal (40004...): nothing went back
  unknown,    // Alipay could not tell (20000, ACQ.SYSTEM_ERROR): ask again, same out_request_no
};

inline RefundAnswer refund_answer(const GatewayAnswer& answer) {
  const auto code = answer.code();
  if (code == "10000")
    return string_field(answer.fields, "fund_change") == "Y" ? RefundAnswer::succeeded
                                                             : RefundAnswer::check;
  // Alipay's documentation: retry these with the same out_request_no.
  if (code == "20000" || answer.sub_code() == "ACQ.SYSTEM_ERROR") return RefundAnswer::unknown;
  return RefundAnswer::failed;
}

// alipay.trade.fastpay.refund.query's verified answer for out_request_no: the amount of that
// refund when it went through, nullopt when Alipay does not have it as done (not received,
// failed, or still being processed). "If the answer has the refund's data and refund_status is
// empty or REFUND_SUCCESS, the refund succeeded" (older answers carry no refund_status).
inline std::optional<std::int64_t> refunded_fen(const GatewayAnswer& answer,
                                                std::string_view out_request_no) {
  const auto code = answer.code();
  if (code == "40004" && answer.sub_code() == "ACQ.TRADE_NOT_EXIST") return std::nullopt;
  if (code != "10000")
    throw http::Error(502, "provider_error",
                      "Alipay could not say how the refund stands: " + answer.reason());
  const auto status = string_field(answer.fields, "refund_status");
  if (string_field(answer.fields, "out_request_no") != out_request_no ||
      (!status.empty() && status != "REFUND_SUCCESS"))
    return std::nullopt;
  const auto fen = fen_of(string_field(answer.fields, "refund_amount"));
  if (!fen || *fen <= 0) return std::nullopt;
  return fen;
}

// ---- Asynchronous notifications ----

// What a verified notification reports. A refund's amount is not in it (refund_fee is the
// trade's total refunded so far): `refund_request` then names the refund (out_biz_no, the
// refund's out_request_no) to look up with the refund query, and `event` is completed with it.
struct Notice {
  payments::PaymentEvent event;
  std::string trade_no;                       // Alipay's
  std::string out_trade_no;                   // ours
  std::optional<std::string> refund_request;  // set for a refund notification
};

namespace detail {

[[noreturn]] inline void malformed(const std::string& why) {
  throw http::Error(400, "malformed_notification", "the Alipay notification is malformed: " + why);
}

inline std::string required(const Params& params, const char* name) {
  const auto it = params.find(name);
  if (it == params.end() || it->second.empty()) malformed(std::string(name) + " is missing");
  return it->second;
}

inline std::string optional_field(const Params& params, const char* name) {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

// Alipay's ids: letters, digits and a few marks, 64 at most; they go into event ids and logs.
inline bool plain_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.'))
      return false;
  return true;
}

}  // namespace detail

// Reads a notification whose signature verified. Throws http::Error 400 when it is for another
// app (wrong_app_id), for a trade that is not one of this site's (unknown_trade), or lacks what
// its status needs (malformed_notification).
inline Notice read_notification(const Params& params, std::string_view app_id,
                                std::string_view trade_no_prefix) {
  using Kind = payments::PaymentEvent::Kind;
  if (detail::optional_field(params, "app_id") != app_id)
    throw http::Error(400, "wrong_app_id",
                      "the notification is for another Alipay app than this site's app_id");
  Notice notice;
  notice.out_trade_no = detail::required(params, "out_trade_no");
  const auto order_id = order_of(trade_no_prefix, notice.out_trade_no);
  if (!order_id)
    throw http::Error(400, "unknown_trade",
                      "out_trade_no is not one of this site's (expected " +
                          std::string(trade_no_prefix) + "<order id>)");
  notice.trade_no = detail::required(params, "trade_no");
  if (!detail::plain_id(notice.trade_no))
    detail::malformed("trade_no is not an Alipay trade number");
  const auto status = detail::required(params, "trade_status");
  if (status.size() > 32 ||
      status.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos)
    detail::malformed("trade_status is not one of Alipay's");

  auto& event = notice.event;
  event.order_id = *order_id;
  event.amount.currency = std::string(kCurrency);
  event.provider_ref = notice.out_trade_no;
  event.summary =
      "alipay " + status + " trade " + notice.trade_no + " (" + notice.out_trade_no + ")";

  // A refund notification: the trade stays TRADE_SUCCESS (part refunded) or becomes
  // TRADE_CLOSED (all of it), with the refund's out_request_no in out_biz_no.
  const auto out_biz_no = detail::optional_field(params, "out_biz_no");
  const bool refund = !detail::optional_field(params, "gmt_refund").empty() ||
                      fen_of(detail::optional_field(params, "refund_fee")).value_or(0) > 0;
  if (refund) {
    if (!out_biz_no.empty() && detail::plain_id(out_biz_no)) {
      notice.refund_request = out_biz_no;
      event.kind = Kind::refunded;
      event.id = notice.trade_no + ":refund:" + out_biz_no;
      event.provider_ref = refund_ref(notice.out_trade_no, out_biz_no);
      event.summary += " refund " + out_biz_no;
      return notice;
    }
    // A refund that names no refund request cannot be told from another one of the same
    // trade: recorded for a person to look at, nothing changes.
    event.kind = Kind::other;
    event.id = notice.trade_no + ":refund-unnamed:" + detail::optional_field(params, "gmt_refund") +
               ":" + detail::optional_field(params, "refund_fee");
    if (event.id.size() > 200) event.id.resize(200);
    event.summary += " refund without out_biz_no";
    return notice;
  }

  if (status == "TRADE_SUCCESS" || status == "TRADE_FINISHED") {
    const auto fen = fen_of(detail::required(params, "total_amount"));
    if (!fen) detail::malformed("total_amount is not an amount in yuan with at most two decimals");
    event.kind = Kind::paid;
    event.amount.amount_minor = *fen;
    // TRADE_FINISHED follows TRADE_SUCCESS once the trade can no longer be refunded: the same
    // payment, so the same id, and the kernel counts it once.
    event.id = notice.trade_no + ":paid";
  } else if (status == "TRADE_CLOSED") {
    // Closed unpaid (timed out, or closed by the merchant).
    event.kind = Kind::failed;
    event.amount.amount_minor = fen_of(detail::optional_field(params, "total_amount")).value_or(0);
    event.id = notice.trade_no + ":closed";
  } else {
    // WAIT_BUYER_PAY (sent only when the app asks for it) or a status Alipay adds later.
    event.kind = Kind::other;
    event.id = notice.trade_no + ":" + lore::sdk::text::ascii_lower(status);
  }
  return notice;
}

}  // namespace pay_alipay
