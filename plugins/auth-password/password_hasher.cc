#include "password_hasher.h"

#include <sodium.h>

#include <stdexcept>

namespace auth_password {

PasswordHasher::PasswordHasher(Options options) : options_(options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  if (options_.max_concurrent == 0) options_.max_concurrent = 1;
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  char encoded[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(encoded, reinterpret_cast<const char*>(random), sizeof random,
                            options_.passes, options_.memory_kib * 1024,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("argon2id: out of memory computing a hash");
  dummy_ = encoded;
}

bool PasswordHasher::acquire() {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, options_.max_wait,
                       [this] { return running_ < options_.max_concurrent; }))
    return false;
  ++running_;
  return true;
}

void PasswordHasher::release() {
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  freed_.notify_one();
}

// Holds one hashing slot for its scope.
class PasswordHasher::Slot {
 public:
  explicit Slot(PasswordHasher& hasher) : hasher_(hasher), held_(hasher.acquire()) {}
  ~Slot() {
    if (held_) hasher_.release();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool held() const noexcept { return held_; }

 private:
  PasswordHasher& hasher_;
  bool held_;
};

std::optional<std::string> PasswordHasher::hash(std::string_view password) {
  Slot slot(*this);
  if (!slot.held()) return std::nullopt;
  char encoded[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(encoded, password.data(), password.size(), options_.passes,
                            options_.memory_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("argon2id: out of memory computing a hash");
  return std::string(encoded);
}

std::optional<bool> PasswordHasher::verify(std::string_view encoded, std::string_view password) {
  const std::string terminated(encoded);  // libsodium reads a C string
  Slot slot(*this);
  if (!slot.held()) return std::nullopt;
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::optional<bool> PasswordHasher::verify_nothing(std::string_view password) {
  if (!verify(dummy_, password)) return std::nullopt;
  return false;
}

bool PasswordHasher::needs_rehash(std::string_view encoded) const {
  const std::string terminated(encoded);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), options_.passes,
                                        options_.memory_kib * 1024) != 0;
}

}  // namespace auth_password
