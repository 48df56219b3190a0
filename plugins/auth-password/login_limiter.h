// Attempt counters in fixed windows aligned to the clock, kept in the site's cache so that
// every `lore` process sharing Redis counts together. An attempt is counted before it is
// checked (one atomic increment), so parallel guesses cannot slip past the limit. When the
// cache is down the limiter lets attempts through (and says so in the log): an outage of the
// cache must not lock everyone out; argon2id still bounds the guessing rate.
#pragma once

#include <lore/sdk/cache.h>
#include <lore/sdk/clock.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace auth_password {

class LoginLimiter {
 public:
  LoginLimiter(lore::sdk::Cache& cache, const lore::sdk::Clock& clock, std::string ns,
               std::chrono::seconds window, std::int64_t limit);

  struct Decision {
    bool allowed = true;
    int retry_after_s = 0;  // when refused: until the window ends
    bool cache_down = false;
  };
  // Counts one attempt for `subject` and says whether it is within the limit.
  Decision attempt(std::string_view subject);
  // Forgets the subject's attempts in this window (after a successful sign-in).
  void clear(std::string_view subject);

 private:
  std::string key(std::string_view subject, std::int64_t window_index) const;
  std::int64_t window_index() const;

  lore::sdk::Cache& cache_;
  const lore::sdk::Clock& clock_;
  std::string ns_;
  std::chrono::seconds window_;
  std::int64_t limit_;
};

}  // namespace auth_password
