// pay-sandbox's cryptography, header-only so that the unit tests can reach it: the webhook
// signature (Stripe-like: `Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256(secret,
// "<t>.<raw body>")>`) and the checkout token, a signed, expiring statement of what a checkout
// page may charge. Comparisons are constant-time (crypto_verify_32). libsodium's HMAC functions
// need no sodium_init(); random bytes do (the plugin calls it at start).
#pragma once

#include <lore/sdk/text.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pay_sandbox {

inline constexpr std::string_view kSignatureHeader = "Sandbox-Signature";
inline constexpr std::string_view kSignatureHeaderLower = "sandbox-signature";
// More entries than this in one header is refused as malformed (no unbounded HMAC work).
inline constexpr std::size_t kMaxSignatureEntries = 16;

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

inline Mac hmac(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  Mac mac;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return mac;
}

inline std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

inline std::string hmac_hex(std::string_view key, std::string_view message) {
  const auto mac = hmac(key, message);
  return to_hex(mac.data(), mac.size());
}

// Exactly 64 hex digits (either case) as a MAC, or nullopt.
inline std::optional<Mac> mac_from_hex(std::string_view hex) {
  if (hex.size() != crypto_auth_hmacsha256_BYTES * 2) return std::nullopt;
  Mac mac;
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(mac.data(), mac.size(), hex.data(), hex.size(), nullptr, &length, &end) != 0 ||
      length != mac.size() || end != hex.data() + hex.size())
    return std::nullopt;
  return mac;
}

// ---- Webhook signatures ----

// What v1 signs: the timestamp, a dot, and the body exactly as sent.
inline std::string signed_payload(std::int64_t t, std::string_view body) {
  std::string payload = std::to_string(t);
  payload += '.';
  payload += body;
  return payload;
}

// The Sandbox-Signature header value for `body` signed at `t` with `secret`.
inline std::string signature_header(std::string_view secret, std::int64_t t,
                                    std::string_view body) {
  return "t=" + std::to_string(t) + ",v1=" + hmac_hex(secret, signed_payload(t, body));
}

struct SignatureHeader {
  std::int64_t t = 0;
  std::vector<std::string> v1;  // as written; checked against each secret
};

// `t=<seconds>,v1=<hex>[,v1=<hex>...]`; entries are separated by commas, spaces around them
// are ignored, and unknown keys (a future v2, Stripe's v0) are skipped. nullopt when malformed:
// an entry without '=', no t, two t, a t that is not a whole number, no v1, too many entries.
inline std::optional<SignatureHeader> parse_signature_header(std::string_view header) {
  SignatureHeader parsed;
  bool have_t = false;
  std::size_t entries = 0;
  while (true) {
    const auto comma = header.find(',');
    const auto entry = lore::sdk::text::trim_spaces(header.substr(0, comma));
    if (++entries > kMaxSignatureEntries) return std::nullopt;
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || equals == 0) return std::nullopt;
    const auto key = entry.substr(0, equals);
    const auto value = entry.substr(equals + 1);
    if (key == "t") {
      const auto t = lore::sdk::text::non_negative_integer(value);
      if (have_t || !t) return std::nullopt;
      parsed.t = *t;
      have_t = true;
    } else if (key == "v1") {
      if (value.empty()) return std::nullopt;
      parsed.v1.emplace_back(value);
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  if (!have_t || parsed.v1.empty()) return std::nullopt;
  return parsed;
}

enum class SignatureCheck { ok, malformed_header, stale, bad_signature };

// Checks a Sandbox-Signature header (null: absent) against the raw body: well-formed, its t
// within `tolerance_s` of `now_s` either way, and one of its v1 entries the HMAC of
// "<t>.<body>" under one of `secrets` (current and previous during a rotation).
inline SignatureCheck check_signature(const std::string* header, std::string_view body,
                                      std::int64_t now_s, std::int64_t tolerance_s,
                                      const std::vector<std::string>& secrets) {
  if (header == nullptr) return SignatureCheck::malformed_header;
  const auto parsed = parse_signature_header(*header);
  if (!parsed) return SignatureCheck::malformed_header;
  const auto skew = now_s > parsed->t ? now_s - parsed->t : parsed->t - now_s;
  if (skew > tolerance_s) return SignatureCheck::stale;
  const auto payload = signed_payload(parsed->t, body);
  bool matched = false;
  for (const auto& secret : secrets) {
    const auto expected = hmac(secret, payload);
    for (const auto& candidate : parsed->v1) {
      const auto given = mac_from_hex(candidate);
      // Every pair is compared, match or not: the time taken says nothing about which.
      if (given && crypto_verify_32(given->data(), expected.data()) == 0) matched = true;
    }
  }
  return matched ? SignatureCheck::ok : SignatureCheck::bad_signature;
}

// ---- Checkout tokens ----

// The checkout key is derived from a webhook secret, so that a token is never a webhook
// signature and the other way round.
inline std::string checkout_key(std::string_view secret) {
  const auto mac = hmac(secret, "pay-sandbox/checkout-key/v1");
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

// What a checkout page may charge, for which order, until when. The title is only shown.
struct CheckoutClaim {
  std::int64_t order_id = 0;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::int64_t expires_s = 0;  // unix seconds; the token is refused from then on
  std::string title;
};

inline std::string base64url(std::string_view bytes) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kVariant);
  out.resize(out.find('\0'));
  return out;
}

inline std::optional<std::string> from_base64url(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(length);
  return out;
}

inline std::string checkout_mac_message(std::int64_t order_id, std::string_view payload) {
  return "pay-sandbox checkout v1|" + std::to_string(order_id) + "|" + std::string(payload);
}

// `<base64url(JSON {a: amount, c: currency, e: expiry, n: title})>.<hex HMAC>`, the MAC over
// the order id and the encoded payload: URL-safe as it is, and the order id it is for comes
// from the path, so a token for one order opens no other.
inline std::string checkout_token(std::string_view key, const CheckoutClaim& claim) {
  const nlohmann::json fields{
      {"a", claim.amount_minor}, {"c", claim.currency}, {"e", claim.expires_s}, {"n", claim.title}};
  const auto payload =
      base64url(fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return payload + "." + hmac_hex(key, checkout_mac_message(claim.order_id, payload));
}

enum class TokenCheck { ok, invalid, expired };

struct TokenResult {
  TokenCheck check = TokenCheck::invalid;
  CheckoutClaim claim;  // filled when ok (and when expired, for the message)
};

inline constexpr std::size_t kMaxTokenBytes = 4096;

// Reads a token for `order_id` with any of `keys` (checkout keys: current and previous).
inline TokenResult read_checkout_token(std::string_view token, std::int64_t order_id,
                                       std::int64_t now_s, const std::vector<std::string>& keys) {
  TokenResult result;
  if (token.size() > kMaxTokenBytes) return result;
  const auto dot = token.rfind('.');
  if (dot == std::string_view::npos) return result;
  const auto payload = token.substr(0, dot);
  const auto given = mac_from_hex(token.substr(dot + 1));
  if (!given) return result;
  const auto message = checkout_mac_message(order_id, payload);
  bool matched = false;
  for (const auto& key : keys)
    if (crypto_verify_32(given->data(), hmac(key, message).data()) == 0) matched = true;
  if (!matched) return result;
  // Signed by us: what follows can only fail for a token made by another version.
  const auto decoded = from_base64url(payload);
  if (!decoded) return result;
  const auto fields = nlohmann::json::parse(*decoded, nullptr, false);
  if (!fields.is_object() || !fields.contains("a") || !fields["a"].is_number_integer() ||
      !fields.contains("c") || !fields["c"].is_string() || !fields.contains("e") ||
      !fields["e"].is_number_integer() || !fields.contains("n") || !fields["n"].is_string())
    return result;
  result.claim = {order_id, fields["a"].get<std::int64_t>(), fields["c"].get<std::string>(),
                  fields["e"].get<std::int64_t>(), fields["n"].get<std::string>()};
  result.check = now_s >= result.claim.expires_s ? TokenCheck::expired : TokenCheck::ok;
  return result;
}

}  // namespace pay_sandbox
