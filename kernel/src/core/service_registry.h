// Named providers of a kind, owned by the plugin (or kernel) that provided them.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/services.h"

namespace lore {

class ServiceRegistry {
 public:
  // The stored pointer keeps `anchor` (the provider's plugin instance and library) alive for as
  // long as any consumer holds the service.
  sdk::Status provide(const std::string& owner, const std::shared_ptr<void>& anchor,
                      std::string_view kind, std::string_view type, std::string_view name,
                      std::shared_ptr<void> service);
  std::shared_ptr<void> find(std::string_view kind, std::string_view type,
                             std::string_view name) const;
  // Sorted (the providers are kept in a map by name).
  std::vector<std::string> names(std::string_view kind) const;
  std::size_t withdraw_owner(std::string_view owner);
  // Moves whenever a service comes or goes: what was computed from the set of services (which
  // course types run, say) is outdated once this differs.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  struct Entry {
    std::string kind;
    std::string name;
    std::string type;
    std::string owner;
  };
  std::vector<Entry> list() const;

 private:
  struct Stored {
    std::string type;
    std::string owner;
    std::shared_ptr<void> service;
  };
  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> generation_{0};
  std::map<std::string, std::map<std::string, Stored, std::less<>>, std::less<>> by_kind_;
};

}  // namespace lore
