// One computation per key at a time, and waiters are released whatever the computation does.
#include "cache/single_flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace lore {
namespace {

using namespace std::chrono_literals;

TEST(SingleFlight, AThrowingComputationReleasesItsWaitersAndLeavesNoFlightBehind) {
  SingleFlight flights;
  std::atomic<bool> started{false};
  std::atomic<int> waiters_done{0};
  std::vector<std::optional<std::string>> waited(4, std::string("unset"));
  std::thread first([&] {
    EXPECT_THROW(flights.run("k",
                             [&]() -> std::optional<std::string> {
                               started = true;
                               std::this_thread::sleep_for(150ms);  // the waiters arrive
                               throw std::runtime_error("database down");
                             }),
                 std::runtime_error);
  });
  while (!started) std::this_thread::yield();
  std::vector<std::thread> waiters;
  for (std::size_t i = 0; i < waited.size(); ++i)
    waiters.emplace_back([&, i] {
      waited[i] = flights.run("k", [] { return std::optional<std::string>("second flight"); });
      ++waiters_done;
    });
  first.join();
  for (auto& w : waiters) w.join();
  EXPECT_EQ(waiters_done, 4) << "no waiter may hang";
  for (const auto& w : waited)
    EXPECT_TRUE(!w || *w == "second flight") << "a waiter gets nullopt, or flies after the throw";
  // The key is free again: the next caller computes.
  EXPECT_EQ(flights.run("k", [] { return std::optional<std::string>("again"); }), "again");
}

}  // namespace
}  // namespace lore
