// The real `lore` binary as a child process, for integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lore::test {

// Starts `program <args...>` (looked up on PATH unless it holds a '/') with stdout and stderr
// in `log_file` and stdin from /dev/null; the child is killed if the test process dies.
pid_t spawn_process(const std::string& program, const std::vector<std::string>& args,
                    const std::filesystem::path& log_file);

class LoreProcess {
 public:
  // Starts `lore <args...>` with stdout and stderr captured in `log_file`.
  LoreProcess(std::vector<std::string> args, std::filesystem::path log_file);
  ~LoreProcess();  // SIGKILL if still running
  LoreProcess(const LoreProcess&) = delete;
  LoreProcess& operator=(const LoreProcess&) = delete;

  // Polls GET /healthz until it answers 200; false on timeout or if the process exited.
  bool wait_healthy(std::uint16_t port,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void signal(int signal_number) const;
  // The exit status (WEXITSTATUS, or 128+signal), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running();
  std::string log() const;
  // Waits until the log contains `needle`; false on timeout.
  bool wait_for_log(const std::string& needle,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::filesystem::path log_file_;
};

// Runs `lore <args...>` to completion; returns {exit status, combined output}.
std::pair<int, std::string> run_lore(const std::vector<std::string>& args);

// Creates a user with `lore admin create-user ... --token` against the configuration `config`
// (whose database must be a file or a server, not :memory:) and returns their session token.
std::string create_user_token(const std::filesystem::path& config, const std::string& email,
                              const std::vector<std::string>& roles);

}  // namespace lore::test
