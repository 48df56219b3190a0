#include "support/test_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>

namespace lore::test {

TempDir::TempDir() {
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = std::filesystem::temp_directory_path() /
                     ("lore-test-" + std::to_string(random()) + std::to_string(::getpid()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content) const {
  auto file = path_ / name;
  std::ofstream out(file, std::ios::trunc);
  out << content;
  return file;
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("bind() failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string kernel_yaml(std::uint16_t port, const std::string& plugins_yaml,
                        const std::string& extra) {
  std::string yaml;
  yaml += "server:\n";
  yaml += "  host: 127.0.0.1\n";
  yaml += "  port: " + std::to_string(port) + "\n";
  yaml += "  threads: 2\n";
  yaml += "  workers: 4\n";
  yaml += "  shutdown_grace_ms: 5000\n";
  yaml += "log:\n  level: info\n  access: true\n";
  yaml += std::string("plugin_paths: [\"") + LORE_PLUGIN_DIR + "\", \"" + LORE_TEST_PLUGIN_DIR +
          "\"]\n";
  // An in-memory database unless the test brings its own: nothing left behind in the build tree.
  if (extra.find("database:") == std::string::npos)
    yaml += "database:\n  url: \"sqlite://:memory:\"\n";
  yaml += extra;
  yaml += "plugins:\n";
  yaml += plugins_yaml.empty() ? "  {}\n" : plugins_yaml;
  return yaml;
}

}  // namespace lore::test
