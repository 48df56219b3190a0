#include "metrics/histogram.h"

#include <algorithm>
#include <cstdio>

namespace lore {

namespace {
constexpr std::array<double, 14> kHttpBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
constexpr std::array<double, 12> kHookBuckets{1e-7, 5e-7, 1e-6, 5e-6, 1e-5, 5e-5,
                                              1e-4, 5e-4, 1e-3, 1e-2, 0.1,  1};

std::string format_seconds(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}
}  // namespace

Histogram::Histogram(std::span<const double> upper_bounds_seconds)
    : bounds_seconds_(upper_bounds_seconds.begin(), upper_bounds_seconds.end()),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds_seconds.size() + 1)) {
  bounds_ns_.reserve(bounds_seconds_.size());
  for (double s : bounds_seconds_) bounds_ns_.push_back(static_cast<std::uint64_t>(s * 1e9));
}

void Histogram::observe_ns(std::uint64_t nanoseconds) noexcept {
  auto it = std::lower_bound(bounds_ns_.begin(), bounds_ns_.end(), nanoseconds);
  buckets_[static_cast<std::size_t>(it - bounds_ns_.begin())].fetch_add(1,
                                                                        std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(nanoseconds, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  std::string prefix(labels);
  if (!prefix.empty()) prefix += ',';
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_ns_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{").append(prefix).append("le=\"");
    out.append(i < bounds_ns_.size() ? format_seconds(bounds_seconds_[i]) : "+Inf");
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out.append(name).append("_sum").append(braces).append(" ");
  out.append(format_seconds(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9));
  out.append("\n");
  out.append(name).append("_count").append(braces).append(" ");
  out.append(std::to_string(cumulative)).append("\n");
}

std::span<const double> Histogram::http_buckets() noexcept { return kHttpBuckets; }
std::span<const double> Histogram::hook_buckets() noexcept { return kHookBuckets; }

}  // namespace lore
