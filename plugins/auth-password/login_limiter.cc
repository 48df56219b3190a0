#include "login_limiter.h"

namespace auth_password {

LoginLimiter::LoginLimiter(lore::sdk::Cache& cache, const lore::sdk::Clock& clock, std::string ns,
                           std::chrono::seconds window, std::int64_t limit)
    : cache_(cache), clock_(clock), ns_(std::move(ns)), window_(window), limit_(limit) {}

std::int64_t LoginLimiter::window_index() const {
  return clock_.now_ms() / (window_.count() * 1000);
}

std::string LoginLimiter::key(std::string_view subject, std::int64_t index) const {
  return std::to_string(index) + ":" + std::string(subject);
}

LoginLimiter::Decision LoginLimiter::attempt(std::string_view subject) {
  const auto index = window_index();
  const auto window_ms = window_.count() * 1000;
  const auto left_ms = (index + 1) * window_ms - clock_.now_ms();
  // The counter outlives its window a little, so that clock skew between processes does not
  // restart a window early.
  const auto count =
      cache_.increment(ns_, key(subject, index), 1, std::chrono::milliseconds(left_ms + 1000));
  if (!count) return {true, 0, true};
  if (*count <= limit_) return {};
  return {false, static_cast<int>((left_ms + 999) / 1000), false};
}

void LoginLimiter::clear(std::string_view subject) {
  cache_.erase(ns_, key(subject, window_index()));
}

}  // namespace auth_password
