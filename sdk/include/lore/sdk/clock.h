// Time as the kernel sees it; tests substitute a clock they control.
#pragma once

#include <chrono>

namespace lore::sdk {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const noexcept = 0;
  virtual std::chrono::steady_clock::time_point monotonic() const noexcept = 0;
};

}  // namespace lore::sdk
