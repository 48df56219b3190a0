#include "core/service_registry.h"

namespace lore {

namespace {
struct Held {
  std::shared_ptr<void> anchor;   // destroyed last
  std::shared_ptr<void> service;  // the provider's object, destroyed while its code is loaded
};
}  // namespace

sdk::Status ServiceRegistry::provide(const std::string& owner, const std::shared_ptr<void>& anchor,
                                     std::string_view kind, std::string_view type,
                                     std::string_view name, std::shared_ptr<void> service) {
  if (!service)
    return sdk::Status::error("service " + std::string(kind) + "/" + std::string(name) +
                              " is null");
  if (name.empty())
    return sdk::Status::error("service of kind " + std::string(kind) + " needs a name");
  if (!sdk::is_shareable_type_name(type))
    return sdk::Status::error("service " + std::string(kind) + "/" + std::string(name) +
                              ": interface " + std::string(type) +
                              " is in an anonymous namespace; declare it in a named namespace");
  std::lock_guard lock(mutex_);
  auto& named = by_kind_[std::string(kind)];
  if (auto it = named.find(name); it != named.end())
    return sdk::Status::error("service " + std::string(kind) + "/" + std::string(name) +
                              " is already provided by " + it->second.owner);
  void* raw = service.get();
  auto held = std::make_shared<Held>(Held{anchor, std::move(service)});
  named.emplace(std::string(name),
                Stored{std::string(type), owner, std::shared_ptr<void>(held, raw)});
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return sdk::Status::ok();
}

std::shared_ptr<void> ServiceRegistry::find(std::string_view kind, std::string_view type,
                                            std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto k = by_kind_.find(kind);
  if (k == by_kind_.end()) return nullptr;
  auto it = k->second.find(name);
  if (it == k->second.end() || it->second.type != type) return nullptr;
  return it->second.service;
}

std::vector<std::string> ServiceRegistry::names(std::string_view kind) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  if (auto k = by_kind_.find(kind); k != by_kind_.end())
    for (const auto& [name, stored] : k->second) out.push_back(name);
  return out;
}

std::size_t ServiceRegistry::withdraw_owner(std::string_view owner) {
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (auto& [kind, named] : by_kind_) {
    for (auto it = named.begin(); it != named.end();) {
      if (it->second.owner == owner) {
        it = named.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
  }
  if (removed > 0) generation_.fetch_add(1, std::memory_order_acq_rel);
  return removed;
}

std::vector<ServiceRegistry::Entry> ServiceRegistry::list() const {
  std::lock_guard lock(mutex_);
  std::vector<Entry> out;
  for (const auto& [kind, named] : by_kind_)
    for (const auto& [name, stored] : named) out.push_back({kind, name, stored.type, stored.owner});
  return out;
}

}  // namespace lore
