// The Pistache adapter: turns Pistache requests into sdk::http::Request, runs the pipeline on
// the reactor for cheap work and on the worker pool for handlers that may block, and sends the
// response from whichever thread finished it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "http/pipeline.h"
#include "http/worker_pool.h"

namespace Pistache::Http {
class Endpoint;
}

namespace lore {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port
  int threads = 2;
  std::size_t max_request_bytes = (1 << 20) + 65536;  // the transport's buffer: body + headers
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds keepalive_timeout{60000};
  int backlog = 512;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Pipeline& pipeline, WorkerPool& workers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the reactor threads; throws std::runtime_error when it cannot bind.
  void start();
  std::uint16_t port() const;
  // Answers new requests with 503, waits up to `grace` for in-flight ones, then shuts down.
  // Returns the number of requests still in flight when the grace period ended.
  std::int64_t stop(std::chrono::milliseconds grace);

  struct State {
    std::atomic<bool> draining{false};
    std::atomic<std::int64_t> in_flight{0};
  };

 private:
  HttpServerOptions options_;
  const Pipeline& pipeline_;
  WorkerPool& workers_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  bool started_ = false;
};

}  // namespace lore
