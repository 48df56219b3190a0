#include "cache/single_flight.h"

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
  // Whatever happens to `compute`, the flight lands: waiters must never wait forever.
  struct Landing {
    SingleFlight& self;
    const std::string& key;
    Flight& flight;
    ~Landing() {
      {
        std::lock_guard lock(self.mutex_);
        flight.done = true;
        self.flights_.erase(key);
      }
      self.done_.notify_all();
    }
  } landing{*this, key, *flight};
  flight->value = compute();
  return flight->value;
}

}  // namespace lore
