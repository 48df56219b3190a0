// The baseline for bench/run.sh: the smallest Pistache 0.0.5 server, configured like the
// kernel's (2 reactor threads, ReuseAddr, HTTP/1.1 keep-alive answered without a Connection
// header), answering {"status":"ok"} on every path.
//
//   lore_bench_pistache_hello PORT [THREADS]
//
// Stops on SIGINT or SIGTERM.
#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

using namespace Pistache;

class HelloHandler final : public Http::Handler {
 public:
  HTTP_PROTOTYPE(HelloHandler)

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    // Same fix as the kernel (kernel/src/http/http_server.cc): Pistache answers
    // "Connection: Close" to any request without a Connection header, although HTTP/1.1
    // connections are persistent by default. Without it, wrk would reconnect on every request.
    if (request.version() == Http::Version::Http11 &&
        !request.headers().has<Http::Header::Connection>()) {
      writer.headers().remove<Http::Header::Connection>();
      writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
    }
    writer.setMime(MIME(Application, Json));
    writer.send(Http::Code::Ok, R"({"status":"ok"})");
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " PORT [THREADS]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (port <= 0 || port > 65535 || threads <= 0) {
    std::cerr << "invalid port or thread count\n";
    return 2;
  }

  // Blocked before Pistache's threads exist, so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    Http::Endpoint endpoint(Address(Ipv4::loopback(), Port(static_cast<std::uint16_t>(port))));
    endpoint.init(Http::Endpoint::options().threads(threads).flags(Tcp::Options::ReuseAddr));
    endpoint.setHandler(Http::make_handler<HelloHandler>());
    endpoint.serveThreaded();
    std::cout << "listening on 127.0.0.1:" << port << " with " << threads << " threads"
              << std::endl;
    int received = 0;
    while (sigwait(&signals, &received) != 0) {
    }
    endpoint.shutdown();
  } catch (const std::exception& e) {
    std::cerr << "cannot serve: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
