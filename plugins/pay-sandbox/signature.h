// pay-sandbox's cryptography, header-only so that the unit tests can reach it: the webhook
// signature (the SDK's Stripe scheme, lore/sdk/webhook_signature.h, in a `Sandbox-Signature`
// header) and the checkout token, a signed, expiring statement of what a checkout page may
// charge. Comparisons are constant-time (crypto_verify_32). libsodium's HMAC functions need no
// sodium_init(); random bytes do (the plugin calls it at start).
#pragma once

#include <lore/sdk/text.h>
#include <lore/sdk/webhook_signature.h>
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

// The webhook signature scheme is the SDK's (Stripe's); these names keep the sandbox's code
// and tests short.
using lore::sdk::webhook_signature::check_signature;
using lore::sdk::webhook_signature::hmac;
using lore::sdk::webhook_signature::hmac_hex;
using lore::sdk::webhook_signature::Mac;
using lore::sdk::webhook_signature::mac_from_hex;
using lore::sdk::webhook_signature::signature_header;
using lore::sdk::webhook_signature::SignatureCheck;
using lore::sdk::webhook_signature::signed_payload;
using lore::sdk::webhook_signature::to_hex;

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
