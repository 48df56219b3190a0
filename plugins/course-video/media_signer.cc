#include "media_signer.h"

#include <sodium.h>

#include <stdexcept>

namespace course_video {

MediaSigner::MediaSigner(std::string secret) : secret_(std::move(secret)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  if (secret_.empty()) {
    secret_.resize(32);
    randombytes_buf(secret_.data(), secret_.size());
    random_ = true;
  }
}

std::string MediaSigner::sign(std::string_view path, std::int64_t expires_s,
                              std::int64_t viewer) const {
  // Fields are length-prefixed so that no two different triples sign the same bytes.
  const std::string message = std::to_string(path.size()) + ":" + std::string(path) + "|" +
                              std::to_string(expires_s) + "|" + std::to_string(viewer);
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret_.data()),
                              secret_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

bool MediaSigner::verify(std::string_view path, std::int64_t expires_s, std::int64_t viewer,
                         std::string_view signature) const {
  const auto expected = sign(path, expires_s, viewer);
  return signature.size() == expected.size() &&
         sodium_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

}  // namespace course_video
