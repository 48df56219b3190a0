#include "cache/single_flight.h"

#include <spdlog/spdlog.h>

namespace lore {

std::optional<std::string> SingleFlight::run(
    const std::string& key, const std::function<std::optional<std::string>()>& compute) {
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock lock(mutex_);
    if (auto running = flights_.find(key); running != flights_.end()) {
      auto waiting = running->second;
      done_.wait(lock, [&] { return waiting->done; });
      return waiting->value;
    }
    flight = std::make_shared<Flight>();
    flights_.emplace(key, flight);
  }
  auto value = compute();
  {
    std::lock_guard lock(mutex_);
    flight->value = value;
    flight->done = true;
    flights_.erase(key);
  }
  done_.notify_all();
  return value;
}

std::optional<std::string> compute_guarded(
    const std::function<std::optional<std::string>()>& compute, std::string_view ns,
    std::string_view key, bool& threw) noexcept {
  threw = false;
  try {
    return compute();
  } catch (const std::exception& e) {
    threw = true;
    try {
      spdlog::warn("cache compute for {}/{} threw: {}", ns, key, e.what());
    } catch (...) {
    }
  } catch (...) {
    threw = true;
  }
  return std::nullopt;
}

}  // namespace lore
