// The plugin's Context for objects the kernel may keep after the plugin instance stopped: a
// service (a payment provider...) handed to ctx.services() can be held by the kernel a while
// longer, but the Context lives only as long as the instance. Such an object reaches the
// Context only through with(), which detach() (call it in stop() and in the destructor) cuts,
// waiting for the calls in flight; after that with() answers 503 instead.
//
// Header-only and not included by <lore/sdk.h>.
#pragma once

#include <lore/sdk/context.h>
#include <lore/sdk/http.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

namespace lore::sdk {

class DetachableContext {
 public:
  // `owner` names what stopped in the 503's message ("the Stripe payment provider").
  DetachableContext(Context& ctx, std::string owner) : ctx_(&ctx), owner_(std::move(owner)) {}
  DetachableContext(const DetachableContext&) = delete;
  DetachableContext& operator=(const DetachableContext&) = delete;

  // Runs body(Context&) while the plugin runs; throws http::Error 503 `provider_stopped` once
  // detach() has begun. No lock is held while `body` runs (it may call a remote service for
  // seconds): calls in flight are counted instead.
  template <class F>
  decltype(auto) with(F&& body) const {
    {
      std::lock_guard lock(mutex_);
      if (detached_)
        throw http::Error(503, "provider_stopped", owner_ + " has stopped; try again shortly",
                          {{"retry_after_s", 1}});
      ++in_flight_;
    }
    const Departure departure{*this};
    return std::forward<F>(body)(*ctx_);
  }

  // Refuses new calls at once, then waits for the calls in flight (each bounded by its own
  // timeouts) before the Context may go.
  void detach() noexcept {
    std::unique_lock lock(mutex_);
    detached_ = true;
    idle_.wait(lock, [this] { return in_flight_ == 0; });
  }

 private:
  struct Departure {
    const DetachableContext& self;
    ~Departure() {
      std::lock_guard lock(self.mutex_);
      if (--self.in_flight_ == 0) self.idle_.notify_all();
    }
  };

  Context* const ctx_;
  const std::string owner_;
  mutable std::mutex mutex_;
  mutable std::condition_variable idle_;
  mutable int in_flight_ = 0;
  bool detached_ = false;
};

}  // namespace lore::sdk
