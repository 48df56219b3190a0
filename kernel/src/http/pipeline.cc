#include "http/pipeline.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <random>

#include "metrics/prometheus.h"

namespace lore {

namespace sh = sdk::http;

namespace {

// Client-supplied ids are kept only when they are short and cannot forge log lines.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t value = generator();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) id[static_cast<std::size_t>(i)] = kHex[value & 0xf];
  return id;
}

std::string allow_header(const std::vector<sh::Method>& methods) {
  std::string out;
  for (auto m : methods) {
    if (!out.empty()) out += ", ";
    out += sh::to_string(m);
  }
  return out;
}

// The credential of `Authorization: Bearer <token>` (the scheme is case-insensitive).
std::string_view bearer_token(const sh::Request& request) {
  const std::string* authorization = request.header("authorization");
  if (authorization == nullptr || authorization->size() < 7) return {};
  std::string_view value(*authorization);
  constexpr std::string_view kScheme = "bearer ";
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return {};
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

sh::Response unauthenticated(std::string code, std::string message) {
  auto r = sh::Response::failure(401, std::move(code), std::move(message));
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace

InFlightToken::InFlightToken(std::shared_ptr<std::atomic<std::int64_t>> counter)
    : counter_(std::move(counter)) {
  // Sequentially consistent, paired with the closed flag: see Route::closed.
  if (counter_) counter_->fetch_add(1);
}
InFlightToken& InFlightToken::operator=(InFlightToken&& other) noexcept {
  if (this != &other) {
    release();
    counter_ = std::move(other.counter_);
  }
  return *this;
}
InFlightToken::~InFlightToken() { release(); }
void InFlightToken::release() noexcept {
  if (counter_) counter_->fetch_sub(1, std::memory_order_acq_rel);
  counter_.reset();
}

std::string render_error_body(const sh::ErrorInfo& error, std::string_view request_id) {
  nlohmann::json body{
      {"code", error.code}, {"message", error.message}, {"request_id", std::string(request_id)}};
  if (!error.details.is_null()) body["details"] = error.details;
  // Messages may quote the client's bytes (a JSON parse error does): whatever they are, the
  // envelope must render, so invalid UTF-8 becomes U+FFFD instead of an exception.
  return nlohmann::json{{"error", std::move(body)}}.dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace);
}

Pipeline::Pipeline(const RouteTable& routes, const RequestAuthenticator* authenticator,
                   PipelineOptions options, FailureReporter on_failure,
                   std::shared_ptr<spdlog::logger> access_log)
    : routes_(routes),
      authenticator_(authenticator),
      options_(std::move(options)),
      on_failure_(std::move(on_failure)),
      access_log_(std::move(access_log)),
      unmatched_stats_(std::make_shared<RouteStats>()) {}

std::optional<sh::Response> Pipeline::admit(PreparedRequest& prepared) const {
  auto& request = prepared.request;
  const auto& spec = prepared.route->spec;
  const auto& access = *spec.access;
  using Kind = sh::Access::Kind;
  // Reactor routes are anonymous (the route table insists): authenticating could block.
  if (spec.execution == sdk::Execution::reactor) return std::nullopt;
  const auto token = bearer_token(request);
  Authentication auth;
  if (!token.empty() && authenticator_ != nullptr) auth = authenticator_->authenticate(token);
  if (auth.outcome == Authentication::Outcome::valid) request.principal = std::move(auth.principal);
  if (access.kind() == Kind::anonymous) {
    // A bad token is ignored here, and so is a credential the route's scope does not cover: a
    // handler never sees a principal the rules below would have refused.
    if (request.principal && request.principal->via != "session" &&
        (spec.scope.empty() || !request.principal->has_scope(spec.scope)))
      request.principal.reset();
    return std::nullopt;
  }

  switch (auth.outcome) {
    case Authentication::Outcome::valid: break;
    case Authentication::Outcome::none:
      return unauthenticated("unauthenticated", "this route requires signing in");
    case Authentication::Outcome::invalid:
      return unauthenticated("invalid_token", "the token is unknown, expired or revoked");
    case Authentication::Outcome::unavailable: {
      auto r = sh::Response::failure(503, "auth_unavailable",
                                     "signing in cannot be checked right now; try again shortly");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
  }
  const auto& principal = *request.principal;
  // A credential other than a session (an API key) reaches only routes naming a scope it has.
  if (principal.via != "session" && (spec.scope.empty() || !principal.has_scope(spec.scope)))
    return sh::Response::failure(403, "insufficient_scope",
                                 spec.scope.empty()
                                     ? "this route needs a signed-in session; a '" + principal.via +
                                           "' credential cannot call it"
                                     : "this route needs the scope '" + spec.scope + "'");
  const bool admin = principal.has_role("admin");
  switch (access.kind()) {
    case Kind::anonymous:
    case Kind::authenticated: return std::nullopt;
    case Kind::role:
      if (admin || principal.has_role(access.role_name())) return std::nullopt;
      return sh::Response::failure(403, "forbidden",
                                   "this route requires the role '" + access.role_name() + "'");
    case Kind::owner: {
      auto lookup = access.owner_of()(request);
      if (lookup.failure) return std::move(*lookup.failure);
      // Somebody else's resource looks exactly like a missing one: ids reveal nothing.
      if (lookup.owner && (*lookup.owner == principal.user_id || (admin && access.admins_too())))
        return std::nullopt;
      return sh::Response::failure(404, "not_found", "no such resource");
    }
  }
  return std::nullopt;
}

PreparedRequest Pipeline::prepare(sh::Request request) const noexcept {
  PreparedRequest prepared;
  prepared.started = std::chrono::steady_clock::now();
  try {
    const std::string* incoming = request.header("x-request-id");
    request.request_id =
        incoming && acceptable_request_id(*incoming) ? *incoming : new_request_id();
    prepared.request = std::move(request);
    auto& req = prepared.request;
    if (!options_.trusted_proxies.empty())
      req.remote_address = options_.trusted_proxies.client_address(req.remote_address,
                                                                   req.header("x-forwarded-for"));

    if (req.body.size() > options_.max_body_bytes) {
      prepared.response = sh::Response::failure(
          413, "payload_too_large",
          "request body of " + std::to_string(req.body.size()) + " bytes exceeds the limit of " +
              std::to_string(options_.max_body_bytes) + " bytes");
      return prepared;
    }

    auto lookup = routes_.find(req.method, req.path);
    if (!lookup.match) {
      if (!lookup.allowed.empty()) {
        auto r = sh::Response::failure(
            405, "method_not_allowed",
            std::string(sh::to_string(req.method)) + " is not allowed on " + req.path);
        r.headers.emplace_back("Allow", allow_header(lookup.allowed));
        prepared.response = std::move(r);
      } else {
        prepared.response = sh::Response::failure(404, "not_found", "no route for " + req.path);
      }
      return prepared;
    }
    prepared.route = lookup.match->route;
    req.path_params = std::move(lookup.match->params);
    prepared.in_flight = InFlightToken(prepared.route->in_flight);
    if (prepared.route->closed->load()) {
      // The owner stopped between the lookup and the count: it is draining or gone.
      prepared.in_flight = InFlightToken();
      prepared.route.reset();
      prepared.response = sh::Response::failure(404, "not_found", "no route for " + req.path);
      return prepared;
    }

  } catch (const std::exception& e) {
    prepared.response = sh::Response::failure(500, "internal", "internal error");
    spdlog::error("request {} failed before its handler: {}", prepared.request.request_id,
                  e.what());
  }
  return prepared;
}

std::optional<sh::Response> Pipeline::cached(PreparedRequest& prepared) const noexcept {
  if (prepared.response || prepared.cache_checked || !prepared.route ||
      !prepared.route->response_cache || !ResponseCache::shareable(prepared.request))
    return std::nullopt;
  prepared.cache_checked = true;
  auto hit = prepared.route->response_cache->find(prepared.request);
  if (!hit) return std::nullopt;
  return finish(prepared, std::move(*hit));
}

sh::Response Pipeline::complete(PreparedRequest& prepared) const noexcept {
  if (prepared.response) return finish(prepared, std::move(*prepared.response));
  if (auto hit = cached(prepared)) return std::move(*hit);
  sh::Response response;
  try {
    if (auto refusal = admit(prepared)) {
      response = std::move(*refusal);
    } else {
      response = prepared.route->handler(prepared.request);
    }
  } catch (...) {
    // SDK handlers never throw; this guards the noexcept promise against one that does.
    response = sh::Response::failure(500, "internal", "internal error");
  }
  if (response.status >= 500 && response.error &&
      response.error->code == sdk::Routes::kUnhandledCode && prepared.route->owner == "kernel") {
    // The kernel's own failure (e.g. in an ownership lookup): logged, never shown, not counted.
    spdlog::error(
        "kernel route {} failed (request {}): {}", prepared.route->spec.path,
        prepared.request.request_id,
        response.error->details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    response.error->details = nullptr;
  } else if (response.status >= 500 && response.error &&
             response.error->code == sdk::Routes::kUnhandledCode) {
    try {
      const auto& details = response.error->details;
      const std::string cause =
          details.is_object() && details.contains("exception") && details["exception"].is_string()
              ? details["exception"].get<std::string>()
              : std::string("error");
      const std::string what = std::string(sh::to_string(prepared.request.method)) + " " +
                               prepared.route->spec.path + ": " + cause;
      spdlog::error("[{}] handler failed (request {}): {}", prepared.route->owner,
                    prepared.request.request_id, what);
      if (on_failure_) on_failure_(prepared.route->owner, what);
    } catch (...) {
      // Reporting a failure must not fail the response.
    }
    response.error->details = nullptr;  // exception text is for the log, not for clients
  }
  return finish(prepared, std::move(response));
}

sh::Response Pipeline::reject(PreparedRequest& prepared, int status, std::string code,
                              std::string message) const noexcept {
  return finish(prepared, sh::Response::failure(status, std::move(code), std::move(message)));
}

sh::Response Pipeline::handle(sh::Request request) const noexcept {
  auto prepared = prepare(std::move(request));
  return complete(prepared);
}

sh::Response Pipeline::finish(PreparedRequest& prepared, sh::Response response) const noexcept {
  try {
    if (response.status < 100 || response.status > 599) response.status = 500;
    if (response.error) {
      response.content_type = "application/json";
      response.body = render_error_body(*response.error, prepared.request.request_id);
    }
    response.headers.emplace_back("X-Request-Id", prepared.request.request_id);
    if (prepared.request.method == sh::Method::head) response.body.clear();

    const auto elapsed = std::chrono::steady_clock::now() - prepared.started;
    const auto ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
    RouteStats& stats = prepared.route ? *prepared.route->stats : *unmatched_stats_;
    stats.by_status[static_cast<std::size_t>(response.status)].fetch_add(1,
                                                                         std::memory_order_relaxed);
    stats.latency.observe_ns(ns);

    if (options_.access_log && access_log_) {
      access_log_->info("{} {} {} {}B {:.3f}ms route={} id={}",
                        sh::to_string(prepared.request.method), prepared.request.path,
                        response.status, response.body.size(), static_cast<double>(ns) / 1e6,
                        prepared.route ? prepared.route->spec.path : std::string("-"),
                        prepared.request.request_id);
    }
  } catch (...) {
    // Metrics and logging must never turn a response into a failure.
  }
  prepared.in_flight = InFlightToken();
  return response;
}

void Pipeline::render_metrics(std::string& out) const {
  auto all = routes_.all_stats();
  all.emplace_back("ANY unmatched", unmatched_stats_);
  prometheus::header(out, "lore_http_requests_total", "counter",
                     "HTTP requests by route template, method and status.");
  for (const auto& [key, stats] : all) {
    auto space = key.find(' ');
    std::string method = key.substr(0, space), route = key.substr(space + 1);
    for (std::size_t status = 100; status < stats->by_status.size(); ++status) {
      auto count = stats->by_status[status].load(std::memory_order_relaxed);
      if (count == 0) continue;
      out.append("lore_http_requests_total{")
          .append(prometheus::labels(
              {{"method", method}, {"route", route}, {"status", std::to_string(status)}}))
          .append("} ")
          .append(std::to_string(count))
          .append("\n");
    }
  }
  prometheus::header(out, "lore_http_request_duration_seconds", "histogram",
                     "HTTP request latency by route template and method.");
  for (const auto& [key, stats] : all) {
    if (stats->latency.count() == 0) continue;
    auto space = key.find(' ');
    stats->latency.render(
        out, "lore_http_request_duration_seconds",
        prometheus::labels({{"method", key.substr(0, space)}, {"route", key.substr(space + 1)}}));
  }
}

}  // namespace lore
