// The kernel's hook bus.
//
// Concurrency: each hook keeps an immutable snapshot of its ordered listeners; dispatch loads
// the snapshot atomically and iterates it without locks, so request threads fire hooks while a
// plugin is being enabled or disabled. Writers (subscribe, unsubscribe) serialize on a mutex
// and publish a new snapshot. A listener may subscribe or unsubscribe during dispatch (the
// running dispatch keeps its snapshot) and a hook may fire itself, up to a nesting limit.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/hook_bus.h"
#include "metrics/histogram.h"

namespace lore {

// Who registers: the owner's name, and an anchor that keeps its library and plugin instance
// alive while anything it registered can still run.
struct Owner {
  std::string name;
  std::shared_ptr<void> anchor;
};

struct ListenerStats {
  std::atomic<std::uint64_t> errors{0};
  Histogram latency{Histogram::hook_buckets()};
};

struct Listener {
  std::shared_ptr<void> anchor;  // first member: destroyed last, after the plugin's callable
  sdk::ErasedListener call;
  sdk::SubscriptionId id = 0;
  std::string owner;
  std::string label;
  int priority = 10;
  std::uint64_t sequence = 0;
  std::vector<std::string> before;
  std::vector<std::string> after;
  std::shared_ptr<ListenerStats> stats;
};

using ListenerSnapshot = std::vector<std::shared_ptr<const Listener>>;

}  // namespace lore

namespace lore::sdk {

class HookSlot {
 public:
  std::string name;
  HookKind kind = HookKind::action;
  std::string payload_type;
  std::string description;
  std::string declared_by;  // empty while only subscribers know the hook
  std::atomic<std::shared_ptr<const lore::ListenerSnapshot>> listeners{
      std::make_shared<const lore::ListenerSnapshot>()};
  std::vector<std::string> order_warnings;  // guarded by the bus's write mutex
  // Written by every dispatching thread: kept off the cache line of `listeners`, which they
  // only read.
  alignas(64) std::atomic<std::uint64_t> dispatches{0};
  std::atomic<std::uint64_t> errors{0};
  lore::Histogram latency{lore::Histogram::hook_buckets()};
};

}  // namespace lore::sdk

namespace lore {

struct ListenerFailure {
  std::string hook;
  std::string owner;
  std::string label;
  std::string error;
};

class HookBus final : public sdk::HookBus {
 public:
  using FailureSink = std::function<void(const ListenerFailure&)>;

  struct Options {
    unsigned timing_sample_every = 16;  // time one dispatch in N (per thread); 1 = all
    unsigned max_nesting = 32;          // a hook firing hooks deeper than this is cut off
  };

  HookBus();
  explicit HookBus(Options options);
  ~HookBus() override;

  // Called for every failing listener (outside any lock); used for logs and auto-disable.
  void set_failure_sink(FailureSink sink);

  // The registrations of one owner, for the owner's per-plugin view of the bus.
  sdk::Status declare_as(const Owner& owner, std::string_view name, sdk::HookKind kind,
                         std::string_view payload_type, std::string_view description);
  sdk::SubscriptionId subscribe_as(const Owner& owner, std::string_view name, sdk::HookKind kind,
                                   std::string_view payload_type, sdk::ErasedListener listener,
                                   sdk::ListenerOptions options, std::string& error);
  // Removes subscription `id` if `owner` made it; false otherwise.
  bool unsubscribe_as(std::string_view owner, sdk::SubscriptionId id);
  // Removes every subscription of `owner`; returns how many.
  std::size_t unsubscribe_owner(std::string_view owner);

  // sdk::HookBus, as the kernel itself.
  sdk::Status declare_erased(std::string_view name, sdk::HookKind kind,
                             std::string_view payload_type, std::string_view description) override;
  sdk::SubscriptionId subscribe_erased(std::string_view name, sdk::HookKind kind,
                                       std::string_view payload_type, sdk::ErasedListener listener,
                                       sdk::ListenerOptions options, std::string& error) override;
  void unsubscribe(sdk::SubscriptionId id) override;
  sdk::HookSlot* resolve_erased(std::string_view name, sdk::HookKind kind,
                                std::string_view payload_type, std::string& error) override;
  void dispatch(sdk::HookSlot* slot, void* payload) noexcept override;

  // Introspection for `lore hooks`, /metrics and tests.
  struct ListenerView {
    std::string owner;
    std::string label;
    int priority;
    std::uint64_t sequence;
    std::vector<std::string> before;
    std::vector<std::string> after;
    std::uint64_t errors;
    const ListenerStats* stats;
  };
  struct HookView {
    std::string name;
    sdk::HookKind kind;
    std::string payload_type;
    std::string description;
    std::string declared_by;
    std::uint64_t dispatches;
    std::uint64_t errors;
    std::vector<ListenerView> listeners;  // in run order
    std::vector<std::string> warnings;
    const Histogram* latency;
  };
  std::vector<HookView> describe() const;
  void render_metrics(std::string& out) const;

 private:
  sdk::HookSlot* find_or_create(std::string_view name, sdk::HookKind kind,
                                std::string_view payload_type, std::string& error);
  void republish(sdk::HookSlot& slot, ListenerSnapshot listeners);
  void report(sdk::HookSlot& slot, const Listener& listener, std::string error) noexcept;

  Options options_;
  Owner kernel_owner_{"kernel", nullptr};
  mutable std::shared_mutex slots_mutex_;  // guards the map; slots themselves are never freed
  std::map<std::string, std::unique_ptr<sdk::HookSlot>, std::less<>> slots_;
  mutable std::mutex write_mutex_;  // serializes listener changes; taken before slots_mutex_
  std::map<sdk::SubscriptionId, sdk::HookSlot*> subscriptions_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_sequence_ = 1;
  std::atomic<std::shared_ptr<const FailureSink>> failure_sink_;
};

std::string_view to_string(sdk::HookKind kind) noexcept;

}  // namespace lore
