// A small HTTP/1.1 server on 127.0.0.1 for tests that stand in for another service (a payment
// provider's API): each request is answered by the test's handler, on one thread, one
// connection at a time, then the connection is closed. Every request is kept for assertions.
// Hand-written on sockets rather than with Pistache so that a test's fake shares nothing with
// the server under test.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace lore::test {

struct FakeRequest {
  std::string method;
  std::string path;                            // without the query
  std::string query;                           // after '?', as sent
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::optional<std::string> header(const std::string& lower_name) const;
  // A field of an application/x-www-form-urlencoded body (or of the query), decoded.
  std::optional<std::string> form(const std::string& name) const;
  std::optional<std::string> query_param(const std::string& name) const;
};

struct FakeResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  // Listens on a free port of 127.0.0.1 at once; throws if it cannot.
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const noexcept { return port_; }
  std::string url() const;  // http://127.0.0.1:<port>
  std::vector<FakeRequest> requests() const;

 private:
  void serve();
  void answer(int connection);

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
  std::thread thread_;
};

// Decodes %XX and '+' (a space) of a form or query component.
std::string form_decoded(const std::string& text);
// Every `name=value` of a form body or query string, decoded, in order.
std::vector<std::pair<std::string, std::string>> form_fields(const std::string& encoded);

}  // namespace lore::test
