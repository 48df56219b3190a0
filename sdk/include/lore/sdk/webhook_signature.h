// Webhook signatures in Stripe's scheme, which pay-sandbox uses too and any provider may:
//   <Name>-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, "<t>.<raw body>")>[,v1=...]
// The timestamp is signed with the body, so a captured webhook cannot be replayed once it is
// older than the tolerance; several v1 entries (and several secrets on the receiving side)
// let a secret be rotated without refusing anything. Comparisons are constant-time
// (crypto_verify_32) and every pair is compared.
//
// Optional part of the SDK: a plugin that includes this header links libsodium (Debian:
// libsodium-dev; `pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)`). Its HMAC
// functions need no sodium_init(). Not included by <lore/sdk.h>.
#pragma once

#include <lore/sdk/text.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lore::sdk::webhook_signature {

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

// The header value for `body` signed at `t` with `secret`.
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
    const auto entry = text::trim_spaces(header.substr(0, comma));
    if (++entries > kMaxSignatureEntries) return std::nullopt;
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || equals == 0) return std::nullopt;
    const auto key = entry.substr(0, equals);
    const auto value = entry.substr(equals + 1);
    if (key == "t") {
      const auto t = text::non_negative_integer(value);
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

// Checks a signature header (null: absent) against the raw body: well-formed, its t
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

}  // namespace lore::sdk::webhook_signature
