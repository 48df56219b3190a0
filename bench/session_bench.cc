// What checking a signed-in caller's session costs on a cache hit, next to the floor of any
// in-process session cache, measured in the same run:
//   CachedSession*  the kernel's Authenticator on a token its local session cache holds: the
//                   token's shape, the cache lookup, the expiry check and the principal handed
//                   to the request;
//   MapBaseline*    a std::unordered_map<std::string, Principal> behind a std::shared_mutex,
//                   looked up by the same token and its principal copied into a request: the
//                   least any shared in-process cache of sessions pays.
// bench/auth.sh runs it and also prints the hit's cost as a share of a whole /healthz request
// measured by wrk in the same run (the target: < 5%).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "accounts/account_service.h"
#include "config/kernel_config.h"
#include "core/kernel.h"

namespace {

class SignedInKernel {
 public:
  SignedInKernel() : directory_(make_directory()) {
    const std::string yaml =
        "log:\n  level: warn\n  access: false\n"
        "database:\n  url: \"sqlite://" +
        (directory_ / "lore.db").string() +
        "\"\n"
        "plugins: {}\n";
    kernel_ = std::make_unique<lore::Kernel>(lore::parse_kernel_config(yaml, "bench.yaml", {}),
                                             lore::KernelOptions{.serve_http = false});
    kernel_->start();
    auto& accounts = kernel_->accounts();
    const auto user = accounts.register_user({"bench@example.com", "Bench", {"learner"}});
    token_ = accounts.sign_in(user.id, "bench", {"127.0.0.1", "session_bench"}).token;
    // The first check fills the cache; the benchmark measures hits.
    if (accounts.authenticator().authenticate(token_).outcome !=
        lore::Authentication::Outcome::valid)
      throw std::runtime_error("the new session does not authenticate");
  }
  ~SignedInKernel() {
    kernel_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  const lore::RequestAuthenticator& authenticator() { return kernel_->accounts().authenticator(); }
  const std::string& token() const { return token_; }

 private:
  static std::filesystem::path make_directory() {
    auto path = std::filesystem::temp_directory_path() /
                ("lore-session-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }

  std::filesystem::path directory_;
  std::unique_ptr<lore::Kernel> kernel_;
  std::string token_;
};

SignedInKernel& signed_in() {
  static SignedInKernel kernel;
  return kernel;
}

void BM_CachedSession(benchmark::State& state) {
  auto& kernel = signed_in();
  const auto& authenticator = kernel.authenticator();
  const std::string token = kernel.token();
  lore::sdk::http::Request request;
  for (auto _ : state) {
    auto auth = authenticator.authenticate(token);
    if (auth.outcome != lore::Authentication::Outcome::valid) {
      state.SkipWithError("a cached session did not authenticate");
      break;
    }
    request.principal = std::move(auth.principal);
    benchmark::DoNotOptimize(request.principal);
  }
}
BENCHMARK(BM_CachedSession)->Threads(1)->Threads(2)->UseRealTime();

class MapBaseline {
 public:
  explicit MapBaseline(const std::string& token) {
    lore::sdk::http::Principal principal;
    principal.user_id = 1;
    principal.roles = {"learner"};
    principal.via = "session";
    principal.session_id = 1;
    sessions_.emplace(token, principal);
  }
  std::optional<lore::sdk::http::Principal> find(const std::string& token) {
    std::shared_lock lock(mutex_);
    auto it = sessions_.find(token);
    if (it == sessions_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, lore::sdk::http::Principal> sessions_;
};

void BM_MapBaseline(benchmark::State& state) {
  const std::string token = signed_in().token();
  static MapBaseline baseline(token);
  lore::sdk::http::Request request;
  for (auto _ : state) {
    request.principal = baseline.find(token);
    if (!request.principal) {
      state.SkipWithError("the baseline lost its entry");
      break;
    }
    benchmark::DoNotOptimize(request.principal);
  }
}
BENCHMARK(BM_MapBaseline)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
