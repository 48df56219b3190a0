// Resolves the run order of a hook's listeners: priority (lower first), then registration
// order, then named before/after constraints between plugins. Pure, so it is unit-tested alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lore {

struct OrderInput {
  std::string owner;  // plugin name ("kernel" for the kernel)
  int priority = 10;
  std::uint64_t sequence = 0;  // registration order
  std::vector<std::string> before;
  std::vector<std::string> after;
};

struct OrderResult {
  std::vector<std::size_t> order;     // indexes into the input, in run order
  std::vector<std::string> warnings;  // e.g. constraint cycles, resolved by priority
};

OrderResult resolve_listener_order(const std::vector<OrderInput>& listeners);

}  // namespace lore
