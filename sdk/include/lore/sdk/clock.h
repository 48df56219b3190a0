// Time as the kernel sees it; tests substitute a clock they control.
#pragma once

#include <chrono>
#include <cstdint>

namespace lore::sdk {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const noexcept = 0;
  virtual std::chrono::steady_clock::time_point monotonic() const noexcept = 0;

  // Wall time as stored in the database: int64 milliseconds since the epoch.
  std::int64_t now_ms() const noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

}  // namespace lore::sdk
