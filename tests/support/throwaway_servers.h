// MariaDB and Redis servers of a test's own, for fault tests that stop and restart them: the
// shared servers of `make test` serve other suites running in parallel and must stay up.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "support/test_config.h"

namespace lore::test {

class MariaDbServer {
 public:
  // Initialises a data directory, starts mariadbd on a free loopback port and creates database
  // lore_fault with user lore/lore. Throws if the server does not come up within 60 s.
  MariaDbServer();
  ~MariaDbServer();
  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;

  void stop();   // SIGTERM, then wait for the exit (a clean shutdown, as in a restart)
  void start();  // same port and data; returns once the server answers
  std::string url() const;
  std::uint16_t port() const { return port_; }
  // Connections user lore holds open, as the server counts them.
  int lore_connections() const;

 private:
  std::string root_sql(const std::string& statement) const;

  TempDir dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void stop();
  void start();
  std::string url() const;

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace lore::test
