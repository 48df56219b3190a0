#include "cache/redis_cache.h"

#include <spdlog/spdlog.h>

#include <charconv>

namespace lore {

namespace {

// Namespaced keys without scanning: a namespace's version lives at <prefix>v:<ns>, and every
// key embeds it, so INCR on the version makes all old keys unreachable (they expire by TTL).
// The scripts read the version and the value in one round trip.
constexpr const char* kGetScript =
    "local v = redis.call('GET', KEYS[1]) or '0' "
    "return redis.call('GET', ARGV[1] .. v .. ':' .. ARGV[2])";
constexpr const char* kSetScript =
    "local v = redis.call('GET', KEYS[1]) or '0' "
    "return redis.call('SET', ARGV[1] .. v .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])";
constexpr const char* kDelScript =
    "local v = redis.call('GET', KEYS[1]) or '0' "
    "return redis.call('DEL', ARGV[1] .. v .. ':' .. ARGV[2])";

// INCRBY, and on the first increment of a window its expiry (PEXPIRE only when the key has
// none, so a window is never extended).
constexpr const char* kIncrementScript =
    "local v = redis.call('GET', KEYS[1]) or '0' "
    "local k = ARGV[1] .. v .. ':' .. ARGV[2] "
    "local n = redis.call('INCRBY', k, ARGV[3]) "
    "if redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, ARGV[4]) end "
    "return n";

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

std::optional<RedisAddress> parse_redis_url(const std::string& url, std::string& error) {
  constexpr std::string_view scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) {
    error = "expected redis://host[:port][/db], got '" + url + "'";
    return std::nullopt;
  }
  RedisAddress address;
  std::string_view rest = std::string_view(url).substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    auto db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), address.database);
      if (ec != std::errc() || end != db.data() + db.size() || address.database < 0) {
        error = "database in '" + url + "' is not a number";
        return std::nullopt;
      }
    }
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    auto port = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (ec != std::errc() || end != port.data() + port.size() || address.port < 1 ||
        address.port > 65535) {
      error = "port in '" + url + "' is not between 1 and 65535";
      return std::nullopt;
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) {
    error = "host missing in '" + url + "'";
    return std::nullopt;
  }
  address.host = std::string(rest);
  return address;
}

RedisCache::RedisCache(RedisAddress address, const sdk::Clock& clock, Options options)
    : address_(std::move(address)), clock_(clock), options_(std::move(options)) {}

RedisCache::~RedisCache() = default;

bool RedisCache::breaker_open() const noexcept {
  const auto until = open_until_ns_.load();
  return until != 0 && clock_.monotonic().time_since_epoch().count() < until;
}

void RedisCache::record(bool ok) noexcept {
  if (ok) {
    consecutive_failures_ = 0;
    open_until_ns_ = 0;
    return;
  }
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.errors;
  }
  if (++consecutive_failures_ >= options_.failures_to_open) {
    const auto until = clock_.monotonic() + options_.cool_down;
    if (open_until_ns_.exchange(until.time_since_epoch().count()) == 0)
      spdlog::warn("redis {}:{} unreachable; cache bypassed for {} ms", address_.host,
                   address_.port, options_.cool_down.count());
  }
}

RedisCache::Context RedisCache::lease() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      Context context = std::move(idle_.back());
      idle_.pop_back();
      return context;
    }
  }
  Context context(redisConnectWithTimeout(address_.host.c_str(), address_.port,
                                          to_timeval(options_.connect_timeout)),
                  redisFree);
  if (!context || context->err) return Context(nullptr, redisFree);
  // hiredis 0.14 drops these on reconnect (upstream #593); a new context gets them here.
  redisSetTimeout(context.get(), to_timeval(options_.command_timeout));
  redisEnableKeepAlive(context.get());
  if (address_.database != 0) {
    Reply selected(
        static_cast<redisReply*>(redisCommand(context.get(), "SELECT %d", address_.database)),
        freeReplyObject);
    if (!selected || selected->type == REDIS_REPLY_ERROR) return Context(nullptr, redisFree);
  }
  return context;
}

void RedisCache::give_back(Context context) {
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(context));
}

RedisCache::Reply RedisCache::command(const std::vector<std::string>& argv) noexcept {
  Reply none(nullptr, freeReplyObject);
  if (breaker_open()) return none;  // fail fast: no connect attempt until the cool-down ends
  try {
    Context context = lease();
    if (!context) {
      record(false);
      return none;
    }
    std::vector<const char*> args;
    std::vector<size_t> lengths;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    Reply reply(static_cast<redisReply*>(redisCommandArgv(
                    context.get(), static_cast<int>(args.size()), args.data(), lengths.data())),
                freeReplyObject);
    if (!reply || context->err) {
      record(false);  // the context is broken; it is freed here, never reused
      return none;
    }
    give_back(std::move(context));
    if (reply->type == REDIS_REPLY_ERROR) {
      spdlog::warn("redis error: {}", std::string(reply->str, reply->len));
      record(false);
      return none;
    }
    record(true);
    return reply;
  } catch (...) {
    record(false);
    return none;
  }
}

std::optional<std::string> RedisCache::get(std::string_view ns, std::string_view key) noexcept {
  try {
    auto reply = command({"EVAL", kGetScript, "1", options_.key_prefix + "v:" + std::string(ns),
                          options_.key_prefix + std::string(ns) + ":", std::string(key)});
    std::optional<std::string> value;
    if (reply && reply->type == REDIS_REPLY_STRING) value = std::string(reply->str, reply->len);
    std::lock_guard lock(stats_mutex_);
    ++(value ? stats_.hits : stats_.misses);
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

void RedisCache::set(std::string_view ns, std::string_view key, std::string value,
                     std::chrono::milliseconds ttl) noexcept {
  if (ttl.count() <= 0) return;
  try {
    command({"EVAL", kSetScript, "1", options_.key_prefix + "v:" + std::string(ns),
             options_.key_prefix + std::string(ns) + ":", std::string(key), std::move(value),
             std::to_string(ttl.count())});
  } catch (...) {
  }
}

void RedisCache::erase(std::string_view ns, std::string_view key) noexcept {
  try {
    command({"EVAL", kDelScript, "1", options_.key_prefix + "v:" + std::string(ns),
             options_.key_prefix + std::string(ns) + ":", std::string(key)});
  } catch (...) {
  }
}

void RedisCache::invalidate(std::string_view ns) noexcept {
  try {
    command({"INCR", options_.key_prefix + "v:" + std::string(ns)});
  } catch (...) {
  }
}

std::optional<std::int64_t> RedisCache::increment(std::string_view ns, std::string_view key,
                                                  std::int64_t delta,
                                                  std::chrono::milliseconds ttl) noexcept {
  try {
    auto reply =
        command({"EVAL", kIncrementScript, "1", options_.key_prefix + "v:" + std::string(ns),
                 options_.key_prefix + std::string(ns) + ":", std::string(key),
                 std::to_string(delta), std::to_string(std::max<std::int64_t>(ttl.count(), 1))});
    if (reply && reply->type == REDIS_REPLY_INTEGER)
      return static_cast<std::int64_t>(reply->integer);
    return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<std::string> RedisCache::get_or_compute_erased(
    std::string_view ns, std::string_view key, std::chrono::milliseconds ttl,
    const std::function<std::optional<std::string>()>& compute) noexcept {
  try {
    if (auto value = get(ns, key)) return value;
    return flights_.run(std::string(ns) + '\x1f' + std::string(key),
                        [&]() -> std::optional<std::string> {
                          auto value = compute();
                          {
                            std::lock_guard lock(stats_mutex_);
                            ++stats_.computes;
                          }
                          if (value) set(ns, key, *value, ttl);
                          return value;
                        });
  } catch (...) {
    return std::nullopt;
  }
}

sdk::CacheStats RedisCache::stats() const noexcept {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

}  // namespace lore
