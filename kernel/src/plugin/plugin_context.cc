#include "plugin/plugin_context.h"

#include "plugin/plugin_instance.h"

namespace lore {

class PluginContext::Logger final : public sdk::Logger {
 public:
  explicit Logger(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}
  void log(sdk::LogLevel level, std::string_view message) noexcept override {
    try {
      logger_->log(static_cast<spdlog::level::level_enum>(static_cast<int>(level)), "{}", message);
    } catch (...) {
    }
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

class PluginContext::Hooks final : public sdk::HookBus {
 public:
  explicit Hooks(PluginContext& ctx) : ctx_(ctx) {}
  sdk::Status declare_erased(std::string_view name, sdk::HookKind kind,
                             std::string_view payload_type, std::string_view description) override {
    return ctx_.parts_.hooks.declare_as(ctx_.owner(), name, kind, payload_type, description);
  }
  sdk::SubscriptionId subscribe_erased(std::string_view name, sdk::HookKind kind,
                                       std::string_view payload_type, sdk::ErasedListener listener,
                                       sdk::ListenerOptions options, std::string& error) override {
    return ctx_.parts_.hooks.subscribe_as(ctx_.owner(), name, kind, payload_type,
                                          std::move(listener), std::move(options), error);
  }
  void unsubscribe(sdk::SubscriptionId id) override {
    ctx_.parts_.hooks.unsubscribe_as(ctx_.name_, id);
  }
  sdk::HookSlot* resolve_erased(std::string_view name, sdk::HookKind kind,
                                std::string_view payload_type, std::string& error) override {
    return ctx_.parts_.hooks.resolve_erased(name, kind, payload_type, error);
  }
  void dispatch(sdk::HookSlot* slot, void* payload) noexcept override {
    ctx_.parts_.hooks.dispatch(slot, payload);
  }

 private:
  PluginContext& ctx_;
};

class PluginContext::Services final : public sdk::Services {
 public:
  explicit Services(PluginContext& ctx) : ctx_(ctx) {}
  sdk::Status provide_erased(std::string_view kind, std::string_view type, std::string_view name,
                             std::shared_ptr<void> service) override {
    auto owner = ctx_.owner();
    return ctx_.parts_.services.provide(owner.name, owner.anchor, kind, type, name,
                                        std::move(service));
  }
  std::shared_ptr<void> find_erased(std::string_view kind, std::string_view type,
                                    std::string_view name) const override {
    return ctx_.parts_.services.find(kind, type, name);
  }
  std::vector<std::string> names(std::string_view kind) const override {
    return ctx_.parts_.services.names(kind);
  }

 private:
  PluginContext& ctx_;
};

class PluginContext::Routes final : public sdk::Routes {
 public:
  explicit Routes(PluginContext& ctx) : ctx_(ctx) {}
  sdk::Status add_erased(sdk::RouteSpec spec, sdk::ErasedHandler handler) override {
    auto owner = ctx_.owner();
    if (spec.tags.empty()) spec.tags.push_back(owner.name);
    return ctx_.parts_.routes.add(owner.name, owner.anchor, std::move(spec), std::move(handler));
  }

 private:
  PluginContext& ctx_;
};

// The plugin's view of the shared cache: its namespaces are prefixed with its name.
class PluginContext::Cache final : public sdk::Cache {
 public:
  Cache(sdk::Cache& shared, const std::string& plugin) : shared_(shared), prefix_(plugin + "/") {}
  std::optional<std::string> get(std::string_view ns, std::string_view key) noexcept override {
    return shared_.get(scoped(ns), key);
  }
  void set(std::string_view ns, std::string_view key, std::string value,
           std::chrono::milliseconds ttl) noexcept override {
    shared_.set(scoped(ns), key, std::move(value), ttl);
  }
  void erase(std::string_view ns, std::string_view key) noexcept override {
    shared_.erase(scoped(ns), key);
  }
  void invalidate(std::string_view ns) noexcept override { shared_.invalidate(scoped(ns)); }
  std::optional<std::int64_t> increment(std::string_view ns, std::string_view key,
                                        std::int64_t delta,
                                        std::chrono::milliseconds ttl) noexcept override {
    return shared_.increment(scoped(ns), key, delta, ttl);
  }
  std::optional<std::string> get_or_compute_erased(
      std::string_view ns, std::string_view key, std::chrono::milliseconds ttl,
      const std::function<std::optional<std::string>()>& compute) noexcept override {
    return shared_.get_or_compute_erased(scoped(ns), key, ttl, compute);
  }
  sdk::CacheStats stats() const noexcept override { return shared_.stats(); }

 private:
  std::string scoped(std::string_view ns) const {
    std::string out = prefix_;
    out.append(ns);
    return out;
  }
  sdk::Cache& shared_;
  std::string prefix_;
};

PluginContext::PluginContext(KernelParts parts, std::string name, std::string version,
                             sdk::Settings settings, std::shared_ptr<spdlog::logger> logger)
    : parts_(parts),
      name_(std::move(name)),
      version_(std::move(version)),
      settings_(std::move(settings)),
      logger_(std::make_unique<Logger>(logger)),
      hooks_(std::make_unique<Hooks>(*this)),
      services_(std::make_unique<Services>(*this)),
      routes_(std::make_unique<Routes>(*this)),
      cache_(std::make_unique<Cache>(parts.cache, name_)),
      database_(parts.pool, table_prefix_for(name_), std::move(logger)) {}

PluginContext::~PluginContext() = default;

Owner PluginContext::owner() const { return Owner{name_, instance_.lock()}; }

sdk::Logger& PluginContext::log() noexcept { return *logger_; }
sdk::HookBus& PluginContext::hooks() noexcept { return *hooks_; }
sdk::Services& PluginContext::services() noexcept { return *services_; }
sdk::Routes& PluginContext::routes() noexcept { return *routes_; }
sdk::Cache& PluginContext::cache() noexcept { return *cache_; }

}  // namespace lore
