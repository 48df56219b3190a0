#include "support/throwaway_servers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "support/lore_process.h"

namespace lore::test {

namespace {

using namespace std::chrono_literals;

// Runs a shell command and returns its standard output; throws when it fails.
std::string capture(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  std::string out;
  std::array<char, 4096> buffer{};
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe.get()))
    out.append(buffer.data(), n);
  const int status = ::pclose(pipe.release());
  if (status != 0) throw std::runtime_error(command + " failed: " + out);
  return out;
}

bool succeeds(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

void terminate_and_wait(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(100ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

std::string user_name() {
  const auto out = capture("id -un");
  return out.substr(0, out.find('\n'));
}

}  // namespace

MariaDbServer::MariaDbServer() : port_(free_port()) {
  capture("mariadb-install-db --no-defaults --auth-root-authentication-method=normal --datadir='" +
          (dir_.path() / "data").string() + "' --user=" + user_name() +
          " --skip-test-db --skip-name-resolve");
  start();
  root_sql(
      "CREATE DATABASE lore_fault CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; "
      "CREATE USER 'lore'@'127.0.0.1' IDENTIFIED BY 'lore'; "
      "GRANT ALL PRIVILEGES ON lore_fault.* TO 'lore'@'127.0.0.1'; FLUSH PRIVILEGES;");
}

MariaDbServer::~MariaDbServer() { terminate_and_wait(pid_); }

void MariaDbServer::start() {
  if (pid_ > 0) return;
  const auto d = dir_.path();
  pid_ =
      spawn_process("mariadbd",
                    {"--no-defaults", "--datadir=" + (d / "data").string(),
                     "--socket=" + (d / "mysql.sock").string(), "--port=" + std::to_string(port_),
                     "--bind-address=127.0.0.1", "--user=" + user_name(),
                     "--pid-file=" + (d / "mysql.pid").string(), "--tmpdir=" + d.string(),
                     "--skip-name-resolve", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=2",
                     "--innodb-buffer-pool-size=16M", "--max-connections=200"},
                    d / "mysql.log");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (succeeds("mariadb-admin --no-defaults --socket='" + (d / "mysql.sock").string() +
                 "' -uroot --connect-timeout=2 ping"))
      return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  std::ifstream log(d / "mysql.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  throw std::runtime_error("mariadbd did not start on port " + std::to_string(port_) + ":\n" +
                           text);
}

void MariaDbServer::stop() { terminate_and_wait(pid_); }

std::string MariaDbServer::url() const {
  return "mysql://lore:lore@127.0.0.1:" + std::to_string(port_) + "/lore_fault";
}

std::string MariaDbServer::root_sql(const std::string& statement) const {
  return capture("mariadb --no-defaults --socket='" + (dir_.path() / "mysql.sock").string() +
                 "' -uroot --batch --skip-column-names -e \"" + statement + "\"");
}

int MariaDbServer::lore_connections() const {
  return std::stoi(
      root_sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'lore'"));
}

RedisServer::RedisServer() : port_(free_port()) { start(); }

RedisServer::~RedisServer() { terminate_and_wait(pid_); }

void RedisServer::start() {
  if (pid_ > 0) return;
  pid_ = spawn_process("redis-server",
                       {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "no", "--dir", dir_.path().string()},
                       dir_.path() / "redis.log");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (succeeds("redis-cli -h 127.0.0.1 -p " + std::to_string(port_) + " ping | grep -q PONG"))
      return;
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

void RedisServer::stop() { terminate_and_wait(pid_); }

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

}  // namespace lore::test
