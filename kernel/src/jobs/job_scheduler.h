// Runs the kernel's jobs (lore_jobs, see JobStore): a thread that wakes every poll interval,
// leases the jobs that are due and runs each kind's handler. Any number of lore processes may
// share the database: each job runs in one of them at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "jobs/job_store.h"

namespace lore {

class JobScheduler {
 public:
  // Runs one job; throws to fail the run (it is retried after a backoff).
  using Handler = std::function<void(const Job&)>;

  struct Options {
    std::int64_t poll_ms = 1000;
    // How long a run may take before another process presumes this one dead and takes the job
    // over. Handlers bound their work well inside it (reconciliation stops after a minute).
    std::int64_t lease_ms = 5 * 60 * 1000;
    int batch = 16;  // jobs leased per pass
  };

  JobScheduler(JobStore& store, Options options);
  ~JobScheduler();  // stops the thread
  JobScheduler(const JobScheduler&) = delete;
  JobScheduler& operator=(const JobScheduler&) = delete;

  // Registers the handler of a kind (before start()). Only jobs of kinds with a handler are
  // leased: a process without one leaves those jobs to processes that have it.
  void handle(const std::string& kind, Handler handler);
  // A recurring job of `kind`, every `interval_ms`, and its handler (see
  // JobStore::ensure_recurring).
  void every(const std::string& kind, std::int64_t interval_ms, Handler handler);
  // One pass: leases what is due and runs it, in this thread. Returns the runs that succeeded.
  int run_due();
  void start();
  void stop();

  // This process's name in leases: host, process id and a random part.
  const std::string& owner() const noexcept { return owner_; }

 private:
  void loop();

  JobStore& store_;
  Options options_;
  std::string owner_;
  std::map<std::string, Handler> handlers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lore
