// Jobs in lore_jobs: work that must be done even if the process that planned it dies. A job is
// leased by one process at a time (a conditional UPDATE, so two lore processes never both run
// it); a lease that outlives its process expires and another process takes the job over. A
// failed run is retried after a backoff; a recurring job is set to run again after each run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lore/sdk/clock.h"
#include "lore/sdk/database.h"

namespace lore {

struct Job {
  std::int64_t id = 0;
  std::string kind;  // what runs it: "orders.reconcile"
  std::string key;   // names the job within its kind: "recurring", an order id...
  std::string payload;
  std::string status;  // ready, running, failed
  std::int64_t run_at_ms = 0;
  std::int64_t interval_ms = 0;  // > 0: recurring
  int attempts = 0;              // runs started since the last success
  int max_attempts = 0;          // 0: unlimited (recurring jobs)
  std::string lease_owner;
  std::int64_t lease_until_ms = 0;
  std::string last_error;

  // Whether this run, if it fails, is the last one (the job is then kept as failed).
  bool last_attempt() const noexcept { return max_attempts > 0 && attempts >= max_attempts; }
};

struct NewJob {
  std::string kind;
  std::string key;
  std::string payload;
  std::int64_t run_at_ms = 0;  // 0: now
  int max_attempts = 10;
};

class JobStore {
 public:
  JobStore(sdk::db::Database& database, const sdk::Clock& clock);

  // Schedules a one-off job in the caller's transaction (it exists only if that commits);
  // false when a job of that kind and key exists already (nothing changes).
  bool enqueue(sdk::db::Transaction& tx, const NewJob& job);
  // Makes sure a recurring job of `kind` exists, running every `interval_ms` (first run now);
  // an existing one keeps its schedule and takes the new interval.
  void ensure_recurring(const std::string& kind, std::int64_t interval_ms);

  // Leases the most overdue job of one of `kinds` (ready with run_at passed, or running with an
  // expired lease) to `owner` for `lease_ms`; the lease counts as an attempt. Only kinds the
  // caller can run: a process without a kind's handler leaves its jobs to the others.
  std::optional<Job> lease_next(const std::string& owner, std::int64_t lease_ms,
                                const std::vector<std::string>& kinds);
  // Ends a leased run. False when the lease was lost meanwhile (it expired and another process
  // took the job): nothing changes, that process's run decides.
  bool succeeded(const Job& job, const std::string& owner);
  bool failed(const Job& job, const std::string& owner, const std::string& error);

  // How long a job waits after its n-th failed run: 10 s doubling to an hour (a recurring job's
  // interval at most).
  static std::int64_t backoff_ms(int attempts, std::int64_t interval_ms);

  std::optional<Job> find(const std::string& kind, const std::string& key);
  std::vector<Job> all();

 private:
  sdk::db::Database& database_;
  const sdk::Clock& clock_;
};

}  // namespace lore
