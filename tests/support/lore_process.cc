#include "support/lore_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/http_client.h"
#include "support/test_config.h"

namespace lore::test {

namespace {

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

// Resolved before fork: execvp may allocate, which is unsafe in the child of a threaded parent.
std::string resolve_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw std::runtime_error("'" + program + "' not found on PATH");
}

pid_t spawn_process(const std::string& program, const std::vector<std::string>& args,
                    const std::filesystem::path& log_file) {
  std::vector<std::string> argv_storage{resolve_program(program)};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_file.string());
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec. If the test process dies (a crash, an abort
    // from a sanitizer), the server dies with it instead of lingering on its port.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGPIPE}) ::signal(sig, SIG_DFL);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  return pid;
}

LoreProcess::LoreProcess(std::vector<std::string> args, std::filesystem::path log_file)
    : log_file_(std::move(log_file)) {
  pid_ = spawn_process(LORE_BINARY, args, log_file_);
}

LoreProcess::~LoreProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
}

bool LoreProcess::running() {
  if (exit_status_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = decode(status);
    return false;
  }
  return true;
}

bool LoreProcess::wait_healthy(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;
    if (http("GET", url, {}, {}, 1000).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void LoreProcess::signal(int signal_number) const { ::kill(pid_, signal_number); }

std::optional<int> LoreProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return exit_status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

std::string LoreProcess::log() const {
  std::ifstream in(log_file_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool LoreProcess::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (log().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::pair<int, std::string> run_lore(const std::vector<std::string>& args) {
  TempDir dir;
  LoreProcess process(args, dir.path() / "output.log");
  auto status = process.wait_exit(std::chrono::seconds(60));
  if (!status) throw std::runtime_error("lore did not exit within 60 s");
  return {*status, process.log()};
}

std::string create_user_token(const std::filesystem::path& config, const std::string& email,
                              const std::vector<std::string>& roles) {
  std::vector<std::string> args{"admin",   "create-user", "-c",     config.string(),
                                "--email", email,         "--token"};
  for (const auto& role : roles) {
    args.push_back("--role");
    args.push_back(role);
  }
  auto [status, output] = run_lore(args);
  if (status != 0) throw std::runtime_error("lore admin create-user failed: " + output);
  // The JSON document is the output's last lines; warnings may precede it.
  const auto start = output.find("{\n");
  if (start == std::string::npos) throw std::runtime_error("no JSON in: " + output);
  return nlohmann::json::parse(output.substr(start)).at("token").get<std::string>();
}

}  // namespace lore::test
