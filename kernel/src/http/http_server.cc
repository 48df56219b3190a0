#include "http/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <sstream>
#include <thread>

namespace lore {

namespace sh = sdk::http;
using namespace Pistache;

namespace {

std::optional<sh::Method> to_method(Http::Method method) {
  switch (method) {
    case Http::Method::Get: return sh::Method::get;
    case Http::Method::Head: return sh::Method::head;
    case Http::Method::Post: return sh::Method::post;
    case Http::Method::Put: return sh::Method::put;
    case Http::Method::Patch: return sh::Method::patch;
    case Http::Method::Delete: return sh::Method::delete_;
    case Http::Method::Options: return sh::Method::options;
    default: return std::nullopt;
  }
}

// Header names are ASCII; std::tolower consults the locale for every character.
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string s) {
  for (auto& c : s) c = ascii_lower(c);
  return s;
}

int from_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Path parameters are matched on the raw path and decoded afterwards, so an encoded '/' never
// changes which route matches.
std::string percent_decode(std::string_view in, bool plus_is_space = false) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (plus_is_space && in[i] == '+') {
      out += ' ';
      continue;
    }
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = from_hex(in[i + 1]), lo = from_hex(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

sh::Request convert(const Http::Request& in, sh::Method method) {
  sh::Request out;
  out.method = method;
  out.path = in.resource();
  out.body = in.body();
  // Typed headers only print to a stream; one stream per thread is reused, as building one
  // per header costs more than the rest of the conversion.
  thread_local std::ostringstream value;
  for (const auto& header : in.headers().list()) {
    // Every signed-in request carries this one: its value is kept as sent, no stream needed.
    if (std::strcmp(header->name(), Http::Header::Authorization::Name) == 0) {
      out.headers.emplace("authorization",
                          static_cast<const Http::Header::Authorization&>(*header).value());
      continue;
    }
    value.str(std::string());
    value.clear();
    header->write(value);
    out.headers.emplace(lower(header->name()), value.str());
  }
  for (const auto& [name, raw] : in.headers().rawList())
    out.headers.emplace(lower(name), raw.value());
  const auto& query = in.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it)
    out.query.emplace(percent_decode(it->first, true), percent_decode(it->second, true));
  return out;
}

// A header a handler may not set: one that could split the response (CR or LF), or one that
// frames it, which the kernel writes itself (two lengths would let a proxy read two responses).
bool allowed_header(std::string_view name, std::string_view value) {
  if (name.empty() || name.find_first_of("\r\n:") != std::string_view::npos ||
      value.find_first_of("\r\n") != std::string_view::npos)
    return false;
  for (std::string_view framing : {"content-length", "transfer-encoding", "connection"}) {
    if (name.size() != framing.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = ascii_lower(name[i]) == framing[i];
    if (same) return false;
  }
  return true;
}

// Writes the response straight to the connection. Pistache's ResponseWriter would do the same
// through typed header objects, a media-type parse and stream formatting: together more
// instructions than the whole rest of the kernel's request path (see docs/benchmarks.md).
// `in_flight` (the request's in-flight marker) is released only once the transport has written
// the bytes, so a shutdown that waits for in-flight requests never drops a queued response.
void send(const std::shared_ptr<Tcp::Peer>& peer, const sh::Response& response, bool keep_alive,
          Http::Version version, std::shared_ptr<void> in_flight = nullptr) {
  if (!peer) return;
  const auto code = static_cast<Http::Code>(response.status);
  std::string out;
  out.reserve(160 + response.body.size());
  out += version == Http::Version::Http11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(response.status);
  out += ' ';
  out += Http::codeString(code);
  out += "\r\n";
  // 204 carries no content, so neither a type nor a length (RFC 9110 8.6, 15.3.5).
  const bool no_content = response.status == 204;
  if (!no_content && !response.content_type.empty()) {
    out += "Content-Type: ";
    if (allowed_header("Content-Type", response.content_type)) {
      out += response.content_type;
    } else {
      spdlog::warn("response content type dropped: it contains a line break");
      out += "application/octet-stream";
    }
    out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    if (!allowed_header(name, value)) {
      spdlog::warn("response header '{}' dropped: line breaks and framing headers are refused",
                   name);
      continue;
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  if (!no_content) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  if (!no_content) out += response.body;
  const auto size = out.size();
  try {
    // The connection was marked idle when its request arrived (finish_incoming), on the reactor
    // thread; writing it again here would race with the transport from a worker thread.
    auto written = peer->send(RawBuffer(std::move(out), size));
    if (in_flight) written.then([in_flight](ssize_t) {}, [in_flight](std::exception_ptr) {});
  } catch (const std::exception& e) {
    spdlog::warn("response not sent: {}", e.what());  // the connection is gone
  }
}

void send(Http::ResponseWriter& writer, const sh::Response& response, bool keep_alive,
          Http::Version version, std::shared_ptr<void> in_flight = nullptr) {
  std::shared_ptr<Tcp::Peer> peer;
  try {
    peer = writer.peer();
  } catch (const std::exception&) {
    return;  // the client is gone
  }
  send(peer, response, keep_alive, version, std::move(in_flight));
}

// Whether the connection stays open after this request (RFC 9112 9.3): HTTP/1.1 unless the
// client says close, HTTP/1.0 only when it asks for keep-alive.
bool wants_keep_alive(const Http::Request& request) {
  auto connection = request.headers().tryGet<Http::Header::Connection>();
  if (request.version() == Http::Version::Http11)
    return !connection || connection->control() != Http::ConnectionControl::Close;
  return connection && connection->control() == Http::ConnectionControl::KeepAlive;
}

// Pistache 0.0.5 keeps the transport hook of a handler private and gives no way to wrap a
// stock HTTP handler. We need one (see GuardedHandler), so its private member is named through
// explicit template instantiation, which the language exempts from access checks.
using AssociateTransport = void (Tcp::Handler::*)(Tcp::Transport*);
struct AssociateTransportTag {
  friend AssociateTransport associate_transport_member(AssociateTransportTag);
};
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-template-friend"
template <AssociateTransport Member>
struct ExposeAssociateTransport {
  friend AssociateTransport associate_transport_member(AssociateTransportTag) { return Member; }
};
#pragma GCC diagnostic pop
template struct ExposeAssociateTransport<&Tcp::Handler::associateTransport>;

// What the server keeps per connection.
struct ConnectionState {
  std::size_t bytes = 0;       // received for the request being parsed
  bool rejected = false;       // answered 413; the rest of the connection's input is discarded
  std::string remote_address;  // formatted once per connection, not per request
};
constexpr const char* kConnectionStateKey = "lore.connection";

// The connection's state, its byte count reset for the next request; null if the peer is gone.
//
// The connection is also marked idle while its request is handled. Pistache marks it busy here
// and then applies the *header* timeout to it, so a handler slower than header_timeout_ms would
// see Pistache answer 408 on its connection mid-request; idle, the keep-alive timeout applies.
std::shared_ptr<ConnectionState> finish_incoming(Http::ResponseWriter& writer) {
  try {
    if (auto peer = writer.peer()) {
      peer->setIdle(true);
      auto state = std::static_pointer_cast<ConnectionState>(peer->tryGetData(kConnectionStateKey));
      if (state) state->bytes = 0;
      return state;
    }
  } catch (const std::exception&) {
    // The peer is gone; its response will not be delivered either.
  }
  return nullptr;
}

// Counts a request as in flight from its arrival until its response is written.
class InFlight {
 public:
  explicit InFlight(HttpServer::State& state) : state_(state) {
    state_.in_flight.fetch_add(1, std::memory_order_acq_rel);
  }
  ~InFlight() { state_.in_flight.fetch_sub(1, std::memory_order_acq_rel); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  HttpServer::State& state_;
};

// A request whose headers or body did not arrive in time, answered with the JSON envelope.
void send_request_timeout(const Pipeline& pipeline, Http::ResponseWriter& writer) {
  PreparedRequest prepared = pipeline.prepare(sh::Request{});
  prepared.route.reset();
  auto response =
      pipeline.reject(prepared, 408, "request_timeout", "the request was not received in time");
  send(writer, response, false, Http::Version::Http11);
}

// Runs every parsed request through the pipeline.
class RequestHandler final : public Http::Handler {
 public:
  HTTP_PROTOTYPE(RequestHandler)

  RequestHandler(const Pipeline& pipeline, WorkerPool& workers,
                 std::shared_ptr<HttpServer::State> state)
      : pipeline_(&pipeline), workers_(&workers), state_(std::move(state)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    auto done = std::make_shared<InFlight>(*state_);
    const auto connection_state = finish_incoming(writer);
    const auto version = request.version();
    const bool keep_alive = wants_keep_alive(request);

    auto method = to_method(request.method());
    sh::Request converted = method ? convert(request, *method) : sh::Request{};
    if (connection_state) converted.remote_address = connection_state->remote_address;
    auto prepared = pipeline_->prepare(std::move(converted));
    if (!method) {
      prepared.route.reset();
      prepared.response =
          sh::Response::failure(405, "method_not_allowed", "this HTTP method is not supported");
    } else if (state_->draining.load(std::memory_order_acquire)) {
      auto response = pipeline_->reject(prepared, 503, "shutting_down",
                                        "the server is shutting down; retry on another instance");
      send(writer, response, false, version, done);
      return;
    } else {
      for (auto& [name, value] : prepared.request.path_params) value = percent_decode(value);
    }

    if (prepared.response || prepared.route->spec.execution == sdk::Execution::reactor) {
      auto response = pipeline_->complete(prepared);
      send(writer, response, keep_alive, version, done);
      return;
    }
    // A public answer kept from an earlier request: no worker hop, no database.
    if (auto hit = pipeline_->cached(prepared)) {
      send(writer, *hit, keep_alive, version, done);
      return;
    }

    struct Task {
      PreparedRequest prepared;
      Http::ResponseWriter writer;
      std::shared_ptr<InFlight> done;
      bool keep_alive;
      Http::Version version;
    };
    auto task = std::make_shared<Task>(
        Task{std::move(prepared), std::move(writer), done, keep_alive, version});
    const Pipeline* pipeline = pipeline_;
    bool queued = workers_->try_submit([task, pipeline]() noexcept {
      try {
        auto response = pipeline->complete(task->prepared);
        send(task->writer, response, task->keep_alive, task->version, task->done);
      } catch (const std::exception& e) {
        spdlog::error("sending a response failed: {}", e.what());
      }
    });
    if (!queued) {
      auto response =
          pipeline_->reject(task->prepared, 503, "overloaded", "the server is busy; retry shortly");
      response.headers.emplace_back("Retry-After", "1");
      send(task->writer, response, keep_alive, version, task->done);
    }
  }

  void onTimeout(const Http::Request&, Http::ResponseWriter writer) override {
    send_request_timeout(*pipeline_, writer);
  }

 private:
  const Pipeline* pipeline_;
  WorkerPool* workers_;
  std::shared_ptr<HttpServer::State> state_;
};

// Pistache answers an over-long request with a plain-text 413 of its own. This handler counts
// each request's bytes before the stock parser sees them and answers with the JSON envelope
// instead; everything else is passed to a RequestHandler.
class GuardedHandler final : public Http::Handler {
 public:
  HTTP_PROTOTYPE(GuardedHandler)

  GuardedHandler(const Pipeline& pipeline, WorkerPool& workers,
                 std::shared_ptr<HttpServer::State> state, const HttpServerOptions& options)
      : pipeline_(&pipeline),
        limit_(options.max_request_bytes),
        inner_(std::make_shared<RequestHandler>(pipeline, workers, std::move(state))) {
    configure_inner(options.header_timeout, options.body_timeout);
  }

  // Each reactor thread gets a clone, with its own inner handler.
  GuardedHandler(const GuardedHandler& other)
      : Http::Handler(other),
        pipeline_(other.pipeline_),
        limit_(other.limit_),
        inner_(std::make_shared<RequestHandler>(*other.inner_)) {}

  void onRequest(const Http::Request&, Http::ResponseWriter writer) override {
    // Never reached: requests are parsed and answered by the inner handler.
    writer.send(Http::Code::Internal_Server_Error);
  }

  // Pistache arms its header and body timers with the handler the transport knows, this one.
  void onTimeout(const Http::Request&, Http::ResponseWriter writer) override {
    send_request_timeout(*pipeline_, writer);
  }

 private:
  void configure_inner(std::chrono::milliseconds header_timeout,
                       std::chrono::milliseconds body_timeout) {
    // The parser's own limit sits above ours, so our check always answers first.
    inner_->setMaxRequestSize(limit_ + 65536);
    inner_->setMaxResponseSize(64 * 1024 * 1024);
    inner_->setHeaderTimeout(header_timeout);
    inner_->setBodyTimeout(body_timeout);
  }

  Tcp::Handler& inner() {
    if (!inner_has_transport_) {
      (static_cast<Tcp::Handler&>(*inner_).*
       associate_transport_member(AssociateTransportTag{}))(transport());
      inner_has_transport_ = true;
    }
    return *inner_;
  }

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    auto state = std::make_shared<ConnectionState>();
    try {
      state->remote_address = peer->address().host();
    } catch (const std::exception&) {
      // Unknown peer address: left empty.
    }
    peer->putData(kConnectionStateKey, std::move(state));
    inner().onConnection(peer);
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    inner().onDisconnection(peer);
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    auto incoming =
        std::static_pointer_cast<ConnectionState>(peer->tryGetData(kConnectionStateKey));
    if (incoming) {
      if (incoming->rejected) return;
      incoming->bytes += len;  // reset by RequestHandler when a request completes
      if (incoming->bytes > limit_) {
        incoming->rejected = true;
        reject_too_large(peer);
        return;
      }
    }
    inner().onInput(buffer, len, peer);
  }

  void reject_too_large(const std::shared_ptr<Tcp::Peer>& peer) {
    PreparedRequest prepared = pipeline_->prepare(sh::Request{});
    prepared.route.reset();
    auto response =
        pipeline_->reject(prepared, 413, "payload_too_large",
                          "request exceeds the limit of " + std::to_string(limit_) + " bytes");
    send(peer, response, false, Http::Version::Http11);
  }

  const Pipeline* pipeline_;
  std::size_t limit_;
  std::shared_ptr<RequestHandler> inner_;
  bool inner_has_transport_ = false;
};

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, const Pipeline& pipeline, WorkerPool& workers)
    : options_(std::move(options)), pipeline_(pipeline), workers_(workers) {}

HttpServer::~HttpServer() {
  if (started_) stop(std::chrono::milliseconds(0));
}

void HttpServer::start() {
  Address address(options_.host, Port(options_.port));
  endpoint_ = std::make_unique<Http::Endpoint>(address);
  auto opts = Http::Endpoint::options()
                  .threads(options_.threads)
                  .flags(Tcp::Options::ReuseAddr)
                  .backlog(options_.backlog)
                  .maxRequestSize(options_.max_request_bytes)
                  .maxResponseSize(64 * 1024 * 1024)
                  .headerTimeout(options_.header_timeout)
                  .bodyTimeout(options_.body_timeout)
                  .keepaliveTimeout(options_.keepalive_timeout);
  endpoint_->init(opts);
  endpoint_->setHandler(Http::make_handler<GuardedHandler>(pipeline_, workers_, state_, options_));
  endpoint_->serveThreaded();
  started_ = true;
}

std::uint16_t HttpServer::port() const {
  return endpoint_ ? static_cast<std::uint16_t>(endpoint_->getPort()) : 0;
}

std::int64_t HttpServer::stop(std::chrono::milliseconds grace) {
  if (!started_) return 0;
  state_->draining.store(true, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (state_->in_flight.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto left = state_->in_flight.load(std::memory_order_acquire);
  endpoint_->shutdown();
  started_ = false;
  return left;
}

}  // namespace lore
