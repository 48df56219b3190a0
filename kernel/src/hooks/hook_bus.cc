#include "hooks/hook_bus.h"

#include <chrono>

#include "hooks/listener_order.h"
#include "metrics/prometheus.h"

namespace lore {

namespace {

thread_local unsigned dispatch_depth = 0;
thread_local unsigned timing_countdown = 0;

struct DepthGuard {
  DepthGuard() noexcept { ++dispatch_depth; }
  ~DepthGuard() { --dispatch_depth; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
};

std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since)
          .count());
}

}  // namespace

std::string_view to_string(sdk::HookKind kind) noexcept {
  return kind == sdk::HookKind::action ? "action" : "filter";
}

HookBus::HookBus() : HookBus(Options{}) {}

HookBus::HookBus(Options options) : options_(options) {
  if (options_.timing_sample_every == 0) options_.timing_sample_every = 1;
}

HookBus::~HookBus() = default;

void HookBus::set_failure_sink(FailureSink sink) {
  failure_sink_.store(std::make_shared<const FailureSink>(std::move(sink)));
}

sdk::HookSlot* HookBus::find_or_create(std::string_view name, sdk::HookKind kind,
                                       std::string_view payload_type, std::string& error) {
  if (name.empty()) {
    error = "hook name must not be empty";
    return nullptr;
  }
  if (!sdk::is_shareable_type_name(payload_type)) {
    error = "hook '" + std::string(name) + "': payload type " + std::string(payload_type) +
            " is in an anonymous namespace, where another library's type of the same name is a "
            "different type; declare it in a named namespace";
    return nullptr;
  }
  sdk::HookSlot* slot = nullptr;
  {
    std::shared_lock read(slots_mutex_);
    if (auto it = slots_.find(name); it != slots_.end()) slot = it->second.get();
  }
  if (slot == nullptr) {
    std::unique_lock write(slots_mutex_);
    auto& entry = slots_[std::string(name)];
    if (!entry) {
      entry = std::make_unique<sdk::HookSlot>();
      entry->name = std::string(name);
      entry->kind = kind;
      entry->payload_type = std::string(payload_type);
    }
    slot = entry.get();
  }
  if (slot->kind != kind) {
    error = "hook '" + std::string(name) + "' is " + std::string(to_string(slot->kind)) + ", not " +
            std::string(to_string(kind));
    return nullptr;
  }
  if (slot->payload_type != payload_type) {
    error = "hook '" + std::string(name) + "' carries " + slot->payload_type + ", not " +
            std::string(payload_type);
    return nullptr;
  }
  return slot;
}

sdk::Status HookBus::declare_as(const Owner& owner, std::string_view name, sdk::HookKind kind,
                                std::string_view payload_type, std::string_view description) {
  std::string error;
  std::lock_guard lock(write_mutex_);
  sdk::HookSlot* slot = find_or_create(name, kind, payload_type, error);
  if (slot == nullptr) return sdk::Status::error(error);
  if (!slot->declared_by.empty() && slot->declared_by != owner.name)
    return sdk::Status::error("hook '" + std::string(name) + "' is already declared by " +
                              slot->declared_by);
  slot->declared_by = owner.name;
  slot->description = std::string(description);
  return sdk::Status::ok();
}

sdk::SubscriptionId HookBus::subscribe_as(const Owner& owner, std::string_view name,
                                          sdk::HookKind kind, std::string_view payload_type,
                                          sdk::ErasedListener listener,
                                          sdk::ListenerOptions options, std::string& error) {
  if (!listener) {
    error = "listener for hook '" + std::string(name) + "' is empty";
    return 0;
  }
  std::lock_guard lock(write_mutex_);
  sdk::HookSlot* slot = find_or_create(name, kind, payload_type, error);
  if (slot == nullptr) return 0;

  auto entry = std::make_shared<Listener>();
  entry->anchor = owner.anchor;
  entry->call = std::move(listener);
  entry->id = next_id_++;
  entry->owner = owner.name;
  entry->label = options.label.empty() ? owner.name : std::move(options.label);
  entry->priority = options.priority;
  entry->sequence = next_sequence_++;
  entry->before = std::move(options.before);
  entry->after = std::move(options.after);
  entry->stats = std::make_shared<ListenerStats>();

  ListenerSnapshot next = *slot->listeners.load();
  next.push_back(entry);
  republish(*slot, std::move(next));
  subscriptions_[entry->id] = slot;
  return entry->id;
}

void HookBus::republish(sdk::HookSlot& slot, ListenerSnapshot listeners) {
  std::vector<OrderInput> inputs;
  inputs.reserve(listeners.size());
  for (const auto& l : listeners)
    inputs.push_back({l->owner, l->priority, l->sequence, l->before, l->after});
  OrderResult resolved = resolve_listener_order(inputs);
  auto ordered = std::make_shared<ListenerSnapshot>();
  ordered->reserve(listeners.size());
  for (std::size_t i : resolved.order) ordered->push_back(listeners[i]);
  slot.order_warnings = std::move(resolved.warnings);
  slot.listeners.store(std::move(ordered), std::memory_order_release);
}

void HookBus::unsubscribe(sdk::SubscriptionId id) { unsubscribe_as(kernel_owner_.name, id); }

bool HookBus::unsubscribe_as(std::string_view owner, sdk::SubscriptionId id) {
  std::lock_guard lock(write_mutex_);
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return false;
  sdk::HookSlot* slot = it->second;
  bool owned = false;
  for (const auto& l : *slot->listeners.load()) owned = owned || (l->id == id && l->owner == owner);
  if (!owned) return false;  // nobody removes another owner's listener
  subscriptions_.erase(it);
  ListenerSnapshot next;
  for (const auto& l : *slot->listeners.load())
    if (l->id != id) next.push_back(l);
  republish(*slot, std::move(next));
  return true;
}

std::size_t HookBus::unsubscribe_owner(std::string_view owner) {
  std::lock_guard lock(write_mutex_);
  std::size_t removed = 0;
  std::shared_lock read(slots_mutex_);
  for (auto& [name, slot] : slots_) {
    auto current = slot->listeners.load();
    ListenerSnapshot next;
    for (const auto& l : *current) {
      if (l->owner == owner) {
        subscriptions_.erase(l->id);
        ++removed;
      } else {
        next.push_back(l);
      }
    }
    if (next.size() != current->size()) republish(*slot, std::move(next));
    if (slot->declared_by == owner) slot->declared_by.clear();
  }
  return removed;
}

sdk::Status HookBus::declare_erased(std::string_view name, sdk::HookKind kind,
                                    std::string_view payload_type, std::string_view description) {
  return declare_as(kernel_owner_, name, kind, payload_type, description);
}

sdk::SubscriptionId HookBus::subscribe_erased(std::string_view name, sdk::HookKind kind,
                                              std::string_view payload_type,
                                              sdk::ErasedListener listener,
                                              sdk::ListenerOptions options, std::string& error) {
  return subscribe_as(kernel_owner_, name, kind, payload_type, std::move(listener),
                      std::move(options), error);
}

sdk::HookSlot* HookBus::resolve_erased(std::string_view name, sdk::HookKind kind,
                                       std::string_view payload_type, std::string& error) {
  return find_or_create(name, kind, payload_type, error);
}

void HookBus::dispatch(sdk::HookSlot* slot, void* payload) noexcept {
  if (slot == nullptr) return;
  if (dispatch_depth >= options_.max_nesting) {
    report(*slot, Listener{},
           "hook nesting deeper than " + std::to_string(options_.max_nesting) +
               "; dispatch skipped (a listener fires hooks in a loop?)");
    return;
  }
  DepthGuard depth;
  const auto listeners = slot->listeners.load(std::memory_order_acquire);
  slot->dispatches.fetch_add(1, std::memory_order_relaxed);
  if (listeners->empty()) return;

  // Timing every call would cost two clock reads per listener; one dispatch in N is timed.
  const bool timed = timing_countdown == 0;
  timing_countdown = timed ? options_.timing_sample_every - 1 : timing_countdown - 1;
  std::string error;
  if (!timed) {
    for (const auto& listener : *listeners) {
      if (!listener->call(payload, error)) [[unlikely]] {
        report(*slot, *listener, std::move(error));
        error.clear();
      }
    }
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  for (const auto& listener : *listeners) {
    const auto listener_started = std::chrono::steady_clock::now();
    const bool ok = listener->call(payload, error);
    listener->stats->latency.observe_ns(elapsed_ns(listener_started));
    if (!ok) [[unlikely]] {
      report(*slot, *listener, std::move(error));
      error.clear();
    }
  }
  slot->latency.observe_ns(elapsed_ns(started));
}

void HookBus::report(sdk::HookSlot& slot, const Listener& listener, std::string error) noexcept {
  slot.errors.fetch_add(1, std::memory_order_relaxed);
  if (listener.stats) listener.stats->errors.fetch_add(1, std::memory_order_relaxed);
  auto sink = failure_sink_.load();
  if (!sink || !*sink) return;
  try {
    (*sink)(ListenerFailure{slot.name, listener.owner, listener.label, std::move(error)});
  } catch (...) {
    // The sink logs and counts; losing one report is better than failing the dispatch.
  }
}

std::vector<HookBus::HookView> HookBus::describe() const {
  std::vector<HookView> views;
  std::lock_guard write(write_mutex_);  // same lock order as writers: write, then slots
  std::shared_lock read(slots_mutex_);
  for (const auto& [name, slot] : slots_) {
    HookView view{slot->name,
                  slot->kind,
                  slot->payload_type,
                  slot->description,
                  slot->declared_by,
                  slot->dispatches.load(std::memory_order_relaxed),
                  slot->errors.load(std::memory_order_relaxed),
                  {},
                  {},
                  &slot->latency};
    for (const auto& l : *slot->listeners.load())
      view.listeners.push_back({l->owner, l->label, l->priority, l->sequence, l->before, l->after,
                                l->stats->errors.load(std::memory_order_relaxed), l->stats.get()});
    view.warnings = slot->order_warnings;
    views.push_back(std::move(view));
  }
  return views;
}

void HookBus::render_metrics(std::string& out) const {
  auto views = describe();
  prometheus::header(out, "lore_hook_dispatches_total", "counter", "Dispatches of each hook.");
  for (const auto& h : views)
    out.append("lore_hook_dispatches_total{")
        .append(prometheus::labels({{"hook", h.name}}))
        .append("} ")
        .append(std::to_string(h.dispatches))
        .append("\n");
  prometheus::header(out, "lore_hook_listener_errors_total", "counter",
                     "Listener calls that threw, by hook and listener.");
  for (const auto& h : views)
    for (const auto& l : h.listeners)
      out.append("lore_hook_listener_errors_total{")
          .append(
              prometheus::labels({{"hook", h.name}, {"plugin", l.owner}, {"listener", l.label}}))
          .append("} ")
          .append(std::to_string(l.errors))
          .append("\n");
  prometheus::header(out, "lore_hook_duration_seconds", "histogram",
                     "Time to run all listeners of a hook (sampled dispatches).");
  for (const auto& h : views)
    h.latency->render(out, "lore_hook_duration_seconds", prometheus::labels({{"hook", h.name}}));
  prometheus::header(out, "lore_hook_listener_duration_seconds", "histogram",
                     "Time of one listener call (sampled dispatches).");
  for (const auto& h : views)
    for (const auto& l : h.listeners)
      l.stats->latency.render(
          out, "lore_hook_listener_duration_seconds",
          prometheus::labels({{"hook", h.name}, {"plugin", l.owner}, {"listener", l.label}}));
}

}  // namespace lore
