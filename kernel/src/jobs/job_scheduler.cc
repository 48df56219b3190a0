#include "jobs/job_scheduler.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <exception>

namespace lore {

namespace {

std::string process_name() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  // The random part tells apart two processes that reuse a pid (a container restarted).
  return std::string(host.data()) + ":" + std::to_string(getpid()) + ":" +
         std::to_string(randombytes_uniform(1'000'000'000));
}

}  // namespace

JobScheduler::JobScheduler(JobStore& store, Options options)
    : store_(store), options_(options), owner_(process_name()) {}

JobScheduler::~JobScheduler() { stop(); }

void JobScheduler::handle(const std::string& kind, Handler handler) {
  handlers_[kind] = std::move(handler);
}

void JobScheduler::every(const std::string& kind, std::int64_t interval_ms, Handler handler) {
  handle(kind, std::move(handler));
  store_.ensure_recurring(kind, interval_ms);
}

int JobScheduler::run_due() {
  int succeeded = 0;
  std::vector<std::string> kinds;
  for (const auto& [kind, handler] : handlers_) kinds.push_back(kind);
  // One job leased at a time, just before it runs: a lease never runs out while its job waits
  // behind others.
  for (int n = 0; n < options_.batch; ++n) {
    const auto leased = store_.lease_next(owner_, options_.lease_ms, kinds);
    if (!leased) break;
    const auto& job = *leased;
    std::string error;
    try {
      handlers_.at(job.kind)(job);
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "failed";
    } catch (...) {
      error = "failed with an unknown exception";
    }
    if (error.empty()) {
      if (store_.succeeded(job, owner_))
        ++succeeded;
      else
        spdlog::warn("job {} {} ({}) finished after its lease ran out; another run decides",
                     job.kind, job.key, job.id);
      continue;
    }
    if (job.last_attempt())
      spdlog::error("job {} {} ({}) failed for good after {} attempts: {}", job.kind, job.key,
                    job.id, job.attempts, error);
    else
      spdlog::warn("job {} {} ({}) failed (attempt {}): {}; retried in {} ms", job.kind, job.key,
                   job.id, job.attempts, error,
                   JobStore::backoff_ms(job.attempts, job.interval_ms));
    store_.failed(job, owner_, error);
  }
  return succeeded;
}

void JobScheduler::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void JobScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobScheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      run_due();
    } catch (const std::exception& e) {
      // The database is away: the next pass tries again.
      spdlog::warn("jobs: could not lease due jobs: {}", e.what());
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stopping_; });
  }
}

}  // namespace lore
