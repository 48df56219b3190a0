// The hook bus: actions (events) and filters (value pipelines), typed at compile time.
//
// A hook is declared once as `Action<Payload>{"name"}` or `Filter<Value>{"name"}`; subscribing
// with a callable that does not accept that payload does not compile. At run time the bus also
// checks that everyone using a hook name agrees on the payload type, so two plugins cannot
// disagree silently.
//
// Listeners are ordered by priority (lower runs first), then registration order, then the
// named constraints `before`/`after` (plugin names). A listener that throws is caught inside
// the plugin, reported to the kernel as a value, counted and logged; the other listeners still
// run, and a filter continues with the last good value.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lore/sdk/status.h"
#include "lore/sdk/type_name.h"

namespace lore::sdk {

enum class HookKind { action, filter };

template <class Payload>
struct Action {
  std::string_view name;
  std::string_view description = {};
};

template <class Value>
struct Filter {
  std::string_view name;
  std::string_view description = {};
};

struct ListenerOptions {
  int priority = 10;
  std::vector<std::string> before;  // run before the listeners of these plugins
  std::vector<std::string> after;   // run after the listeners of these plugins
  std::string label;                // shown in `lore hooks`; defaults to the plugin name
};

// Returns true on success; on failure fills `error` and returns false. Never throws.
using ErasedListener = std::function<bool(void* payload, std::string& error)>;

using SubscriptionId = std::uint64_t;

// A resolved hook: dispatching through it skips the name lookup.
class HookSlot;

class HookBus {
 public:
  virtual ~HookBus() = default;

  // --- erased interface, implemented by the kernel -------------------------------------------
  virtual Status declare_erased(std::string_view name, HookKind kind, std::string_view payload_type,
                                std::string_view description) = 0;
  // Returns 0 and fills `error` when refused (type or kind mismatch).
  virtual SubscriptionId subscribe_erased(std::string_view name, HookKind kind,
                                          std::string_view payload_type, ErasedListener listener,
                                          ListenerOptions options, std::string& error) = 0;
  virtual void unsubscribe(SubscriptionId id) = 0;
  virtual HookSlot* resolve_erased(std::string_view name, HookKind kind,
                                   std::string_view payload_type, std::string& error) = 0;
  virtual void dispatch(HookSlot* slot, void* payload) noexcept = 0;

  // --- typed interface ------------------------------------------------------------------------
  template <class P>
  Status declare(const Action<P>& hook) {
    return declare_erased(hook.name, HookKind::action, type_name<P>(), hook.description);
  }
  template <class V>
  Status declare(const Filter<V>& hook) {
    return declare_erased(hook.name, HookKind::filter, type_name<V>(), hook.description);
  }

  // `listener(const P&)`; its return value, if any, is ignored.
  template <class P, class F>
  requires std::is_invocable_v<F&, const P&> SubscriptionId on(const Action<P>& hook, F listener,
                                                               ListenerOptions options = {}) {
    std::string error;
    auto id = subscribe_erased(
        hook.name, HookKind::action, type_name<P>(),
        [fn = std::move(listener)](void* payload, std::string& err) mutable noexcept {
          return guarded(err, [&] { fn(*static_cast<const P*>(payload)); });
        },
        std::move(options), error);
    if (id == 0) throw std::invalid_argument(error);
    return id;
  }

  // `listener(const V&) -> V`: returns the new value.
  template <class V, class F>
  requires std::is_invocable_r_v<V, F&, const V&> SubscriptionId on(const Filter<V>& hook,
                                                                    F listener,
                                                                    ListenerOptions options = {}) {
    std::string error;
    auto id = subscribe_erased(
        hook.name, HookKind::filter, type_name<V>(),
        [fn = std::move(listener)](void* payload, std::string& err) mutable noexcept {
          auto& value = *static_cast<V*>(payload);
          // Assign only after the listener returned, so a throw keeps the last good value.
          return guarded(err, [&] { value = fn(std::as_const(value)); });
        },
        std::move(options), error);
    if (id == 0) throw std::invalid_argument(error);
    return id;
  }

  template <class P>
  void fire(const Action<P>& hook, const P& payload) {
    dispatch(resolve(hook), const_cast<P*>(&payload));
  }

  template <class V>
  V apply(const Filter<V>& hook, V value) {
    dispatch(resolve(hook), &value);
    return value;
  }

  template <class P>
  HookSlot* resolve(const Action<P>& hook) {
    return resolve_checked(hook.name, HookKind::action, type_name<P>());
  }
  template <class V>
  HookSlot* resolve(const Filter<V>& hook) {
    return resolve_checked(hook.name, HookKind::filter, type_name<V>());
  }

 private:
  HookSlot* resolve_checked(std::string_view name, HookKind kind, std::string_view type) {
    std::string error;
    HookSlot* slot = resolve_erased(name, kind, type, error);
    if (slot == nullptr) throw std::invalid_argument(error);
    return slot;
  }

  template <class Body>
  static bool guarded(std::string& error, Body&& body) noexcept {
    try {
      body();
      return true;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown exception";
    }
    return false;
  }
};

// A hook resolved once, for hot paths: `ActionRef<Payload> ref{bus, hooks::x}; ref.fire(p);`
template <class P>
class ActionRef {
 public:
  ActionRef(HookBus& bus, const Action<P>& hook) : bus_(&bus), slot_(bus.resolve(hook)) {}
  void fire(const P& payload) const noexcept { bus_->dispatch(slot_, const_cast<P*>(&payload)); }

 private:
  HookBus* bus_;
  HookSlot* slot_;
};

template <class V>
class FilterRef {
 public:
  FilterRef(HookBus& bus, const Filter<V>& hook) : bus_(&bus), slot_(bus.resolve(hook)) {}
  V apply(V value) const noexcept(std::is_nothrow_move_constructible_v<V>) {
    bus_->dispatch(slot_, &value);
    return value;
  }

 private:
  HookBus* bus_;
  HookSlot* slot_;
};

}  // namespace lore::sdk
