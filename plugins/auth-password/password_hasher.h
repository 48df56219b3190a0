// Argon2id through libsodium (crypto_pwhash_str: a self-describing string with parameters and
// salt). Hashing is deliberately slow and memory-hungry, so at most `max_concurrent` run at
// once: sign-in bursts queue briefly instead of exhausting memory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace auth_password {

class PasswordHasher {
 public:
  struct Options {
    std::size_t memory_kib = 19456;
    std::uint64_t passes = 2;
    std::size_t max_concurrent = 4;
    std::chrono::milliseconds max_wait{2000};
  };
  explicit PasswordHasher(Options options);

  // nullopt when no hashing slot freed up within max_wait (answer 503).
  std::optional<std::string> hash(std::string_view password);
  // Whether `password` matches `encoded`; nullopt when busy, as above.
  std::optional<bool> verify(std::string_view encoded, std::string_view password);
  // Spends the time of a real verification on nothing, so an unknown email answers as slowly as
  // a wrong password; nullopt when busy.
  std::optional<bool> verify_nothing(std::string_view password);
  // Whether `encoded` was made with other parameters than the current ones.
  bool needs_rehash(std::string_view encoded) const;

 private:
  class Slot;
  bool acquire();
  void release();

  Options options_;
  std::string dummy_;  // a hash of a random password, made with the current parameters
  std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t running_ = 0;
};

}  // namespace auth_password
