// pay-alipay's cryptography, header-only so that the unit tests can reach it: Alipay's "RSA2"
// (SHA256withRSA, PKCS#1 v1.5 padding) over a signing string, base64 (standard alphabet, with
// padding) for the signature, and the keys as Alipay's key tool and openssl write them.
//
// OpenSSL 3 (libcrypto) through its EVP and OSSL_DECODER APIs only: nothing deprecated, every
// object owned by a unique_ptr. A key, once loaded, is only read: OpenSSL allows one EVP_PKEY to
// sign or verify from several threads at once, each with its own EVP_MD_CTX.
#pragma once

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pay_alipay {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct DecoderCtxFree {
  void operator()(OSSL_DECODER_CTX* ctx) const noexcept { OSSL_DECODER_CTX_free(ctx); }
};

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
// Keys are shared by the provider's calls, which may run on several threads.
using SharedKey = std::shared_ptr<const EVP_PKEY>;

inline SharedKey shared(Pkey key) {
  return SharedKey(key.release(),
                   [](const EVP_PKEY* k) { EVP_PKEY_free(const_cast<EVP_PKEY*>(k)); });
}

// Alipay accepts RSA keys of 2048 bits ("RSA2"); a shorter one is a configuration mistake.
inline constexpr int kMinKeyBits = 2048;

// ---- Base64 (RFC 4648, standard alphabet, with padding) ----

inline std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const auto rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Strict: the standard alphabet, a length that is a multiple of 4, '=' only as the last one or
// two characters. nullopt otherwise (a signature that is not base64 does not verify).
inline std::optional<std::string> from_base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    const bool last = i + 4 == text.size();
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int v = 0;
      if (c == '=') {
        if (!last || j < 4 - padding) return std::nullopt;
      } else {
        v = value(c);
        if (v < 0) return std::nullopt;
      }
      n = n << 6 | static_cast<std::uint32_t>(v);
    }
    out += static_cast<char>((n >> 16) & 0xFF);
    if (!last || padding < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (!last || padding < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

// ---- Keys ----

namespace detail {

// What OpenSSL said last on this thread, then its queue emptied (a failure must not surface
// later in an unrelated call). The reason strings never contain key material.
inline std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reason = text;  // the last is the most specific
  }
  return reason.empty() ? std::string("no details from OpenSSL") : reason;
}

// Keys in configuration are never encrypted: refuse rather than prompt on a terminal.
inline int no_passphrase(char*, std::size_t, std::size_t*, const OSSL_PARAM*, void*) { return 0; }

inline bool all_base64(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '/' || c == '='))
      return false;
  return true;
}

// Decodes `data` (PEM text, or DER bytes) into an RSA key with the parts `selection` asks for,
// trying every structure (PKCS#8 / SubjectPublicKeyInfo and PKCS#1).
inline Pkey decode_rsa(std::string_view data, const char* input_type, int selection,
                       std::string& why) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxFree> ctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw, input_type, nullptr, "RSA", selection, nullptr, nullptr));
  if (!ctx) {
    why = "OpenSSL has no decoder for RSA keys: " + openssl_reason();
    return nullptr;
  }
  OSSL_DECODER_CTX_set_passphrase_cb(ctx.get(), no_passphrase, nullptr);
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t length = data.size();
  if (OSSL_DECODER_from_data(ctx.get(), &bytes, &length) != 1 || raw == nullptr) {
    Pkey discard(raw);
    why = openssl_reason();
    return nullptr;
  }
  ERR_clear_error();
  return Pkey(raw);
}

}  // namespace detail

enum class KeyPart { private_key, public_key };

// A key from configuration: PEM ("BEGIN PRIVATE KEY" (PKCS#8), "BEGIN RSA PRIVATE KEY"
// (PKCS#1), "BEGIN PUBLIC KEY", "BEGIN RSA PUBLIC KEY"), or the bare base64 body that Alipay's
// key tool shows and its console expects (the DER of the same structures), whitespace and line
// breaks allowed anywhere in it. Must be RSA of at least 2048 bits. Throws std::invalid_argument
// saying why (never quoting the key).
inline Pkey load_key(std::string_view text, KeyPart part) {
  // A PEM pasted into an environment variable often arrives with its line breaks as the two
  // characters \n: read them as line breaks (base64 and PEM armour never contain a backslash).
  std::string unescaped;
  if (text.find("-----BEGIN") != std::string_view::npos &&
      text.find("\\n") != std::string_view::npos) {
    unescaped.assign(text);
    for (auto at = unescaped.find("\\n"); at != std::string::npos;
         at = unescaped.find("\\n", at + 1))
      unescaped.replace(at, 2, "\n");
    text = unescaped;
  }
  const char* what = part == KeyPart::private_key ? "an RSA private key" : "an RSA public key";
  const int selection =
      part == KeyPart::private_key ? OSSL_KEYMGMT_SELECT_KEYPAIR : OSSL_KEYMGMT_SELECT_PUBLIC_KEY;
  std::string why;
  Pkey key;
  // A private key decodes as a public one too; where a public key belongs (a setting that is
  // not secret) it is refused, whatever it is.
  auto refuse_private = [&](std::string_view data, const char* type) {
    std::string ignored;
    if (part == KeyPart::public_key &&
        detail::decode_rsa(data, type, OSSL_KEYMGMT_SELECT_PRIVATE_KEY, ignored))
      throw std::invalid_argument(
          "a private key, not a public key: put Alipay's public key here (and keep private "
          "keys out of settings that are not secret)");
  };
  if (text.find("-----BEGIN") != std::string_view::npos) {
    refuse_private(text, "PEM");
    key = detail::decode_rsa(text, "PEM", selection, why);
    if (!key)
      throw std::invalid_argument(std::string("not ") + what + " in PEM (" +
                                  (part == KeyPart::private_key
                                       ? "BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY, unencrypted"
                                       : "BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY") +
                                  "): " + why);
  } else {
    std::string compact;
    for (const char c : text)
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact += c;
    const auto der = detail::all_base64(compact) ? from_base64(compact) : std::nullopt;
    if (!der)
      throw std::invalid_argument(std::string("neither PEM nor base64: expected ") + what +
                                  " as PEM (-----BEGIN ...) or as the bare base64 body that "
                                  "Alipay's key tool shows");
    refuse_private(*der, "DER");
    key = detail::decode_rsa(*der, "DER", selection, why);
    if (!key)
      throw std::invalid_argument(
          std::string("the base64 is not ") + what + " (" +
          (part == KeyPart::private_key ? "PKCS#8" : "SubjectPublicKeyInfo") +
          " or PKCS#1 DER): " + why);
  }
  if (!EVP_PKEY_is_a(key.get(), "RSA"))
    throw std::invalid_argument(std::string("not ") + what + ": Alipay's RSA2 needs RSA");
  if (const int bits = EVP_PKEY_get_bits(key.get()); bits < kMinKeyBits)
    throw std::invalid_argument("the RSA key has " + std::to_string(bits) +
                                " bits; Alipay's RSA2 needs at least " +
                                std::to_string(kMinKeyBits));
  return key;
}

// ---- RSA2: SHA256withRSA, PKCS#1 v1.5 ----

// The base64 signature of `content` with `key` (a private key). Throws std::runtime_error when
// OpenSSL fails (it does not with a loaded RSA key).
inline std::string rsa2_sign(const EVP_PKEY& key, std::string_view content) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::runtime_error("EVP_MD_CTX_new failed");
  // PKCS#1 v1.5 is the default padding of an RSA EVP_PKEY for signatures.
  auto* pkey = const_cast<EVP_PKEY*>(&key);  // OpenSSL takes non-const; it only reads it
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(content.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, data, content.size()) != 1)
    throw std::runtime_error("RSA2 signing failed: " + detail::openssl_reason());
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     content.size()) != 1)
    throw std::runtime_error("RSA2 signing failed: " + detail::openssl_reason());
  signature.resize(length);
  return base64(signature);
}

// True when `signature_base64` is the RSA2 signature of `content` under `key` (a public key).
inline bool rsa2_verify(const EVP_PKEY& key, std::string_view content,
                        std::string_view signature_base64) {
  const auto signature = from_base64(signature_base64);
  if (!signature || signature->empty()) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  auto* pkey = const_cast<EVP_PKEY*>(&key);
  const bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                       signature->size(), reinterpret_cast<const unsigned char*>(content.data()),
                       content.size()) == 1;
  ERR_clear_error();  // a mismatch leaves a reason in the queue
  return ok;
}

}  // namespace pay_alipay
