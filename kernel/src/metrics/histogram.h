// A fixed-bucket latency histogram that many threads update without locks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lore {

class Histogram {
 public:
  // Upper bounds in seconds, ascending; a +Inf bucket is implied.
  explicit Histogram(std::span<const double> upper_bounds_seconds);

  void observe_ns(std::uint64_t nanoseconds) noexcept;

  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

  // Prometheus text lines: NAME_bucket{LABELS,le=".."} ..., NAME_sum, NAME_count.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

  static std::span<const double> http_buckets() noexcept;
  static std::span<const double> hook_buckets() noexcept;

 private:
  std::vector<std::uint64_t> bounds_ns_;
  std::vector<double> bounds_seconds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // size bounds + 1 (the +Inf bucket)
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace lore
