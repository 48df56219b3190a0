// Runs one computation per key at a time: callers that ask for a key already being computed
// wait for that result instead of computing it again (the "thundering herd" on a cold key).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace lore {

class SingleFlight {
 public:
  // `compute` runs on the first caller's thread. If it throws, the waiters get nullopt and the
  // exception goes on to the first caller.
  std::optional<std::string> run(const std::string& key,
                                 const std::function<std::optional<std::string>()>& compute);

 private:
  struct Flight {
    bool done = false;
    std::optional<std::string> value;
  };
  std::mutex mutex_;
  std::condition_variable done_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace lore
