// The real clock, and one that tests move by hand.
#pragma once

#include <atomic>
#include <chrono>

#include "lore/sdk/clock.h"

namespace lore {

class SystemClock final : public sdk::Clock {
 public:
  std::chrono::system_clock::time_point now() const noexcept override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point monotonic() const noexcept override {
    return std::chrono::steady_clock::now();
  }
};

class ManualClock final : public sdk::Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point{
                               std::chrono::seconds{1'800'000'000}})
      : offset_(0), start_wall_(start) {}

  std::chrono::system_clock::time_point now() const noexcept override {
    return start_wall_ + std::chrono::nanoseconds(offset_.load());
  }
  std::chrono::steady_clock::time_point monotonic() const noexcept override {
    return std::chrono::steady_clock::time_point{} + std::chrono::nanoseconds(offset_.load());
  }
  void advance(std::chrono::nanoseconds by) noexcept { offset_.fetch_add(by.count()); }

 private:
  std::atomic<std::int64_t> offset_;
  std::chrono::system_clock::time_point start_wall_;
};

}  // namespace lore
