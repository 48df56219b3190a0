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

#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

namespace lore::sdk {

class DetachableContext {
 public:
  // `owner` names what stopped in the 503's message ("the Stripe payment provider").
  DetachableContext(Context& ctx, std::string owner) : ctx_(&ctx), owner_(std::move(owner)) {}
  DetachableContext(const DetachableContext&) = delete;
  DetachableContext& operator=(const DetachableContext&) = delete;

  // Runs body(Context&) while the plugin runs; throws http::Error 503 `provider_stopped` after
  // detach().
  template <class F>
  decltype(auto) with(F&& body) const {
    std::shared_lock lock(mutex_);
    if (ctx_ == nullptr)
      throw http::Error(503, "provider_stopped", owner_ + " has stopped; try again shortly",
                        {{"retry_after_s", 1}});
    return std::forward<F>(body)(*ctx_);
  }

  void detach() noexcept {
    std::unique_lock lock(mutex_);
    ctx_ = nullptr;
  }

 private:
  mutable std::shared_mutex mutex_;
  Context* ctx_;
  const std::string owner_;
};

}  // namespace lore::sdk
