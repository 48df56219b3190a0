#include "jobs/job_store.h"

#include <algorithm>

#include "core/utf8.h"
#include "storage/sql_text.h"

namespace lore {

namespace db = sdk::db;

namespace {

constexpr const char* kColumns =
    "id, kind, job_key, payload, status, run_at, interval_ms, attempts, max_attempts, "
    "lease_owner, lease_until, last_error";
// Due: ready and its time has come, or running under a lease that has run out.
constexpr const char* kDue =
    "((status = 'ready' AND run_at <= ?) OR (status = 'running' AND lease_until <= ?))";
constexpr std::size_t kErrorBytes = 1000;

Job job_of(const db::Row& row) {
  Job j;
  j.id = row.get<std::int64_t>("id");
  j.kind = row.get<std::string>("kind");
  j.key = row.get<std::string>("job_key");
  j.payload = row.get<std::string>("payload");
  j.status = row.get<std::string>("status");
  j.run_at_ms = row.get<std::int64_t>("run_at");
  j.interval_ms = row.get<std::int64_t>("interval_ms");
  j.attempts = row.get<int>("attempts");
  j.max_attempts = row.get<int>("max_attempts");
  j.lease_owner = row.get<std::string>("lease_owner");
  j.lease_until_ms = row.get<std::int64_t>("lease_until");
  j.last_error = row.get<std::string>("last_error");
  return j;
}

}  // namespace

JobStore::JobStore(db::Database& database, const sdk::Clock& clock)
    : database_(database), clock_(clock) {}

bool JobStore::enqueue(db::Transaction& tx, const NewJob& job) {
  const auto now = clock_.now_ms();
  return tx.try_insert(
      "INSERT INTO lore_jobs (kind, job_key, payload, status, run_at, interval_ms, attempts, "
      "max_attempts, lease_owner, lease_until, last_error, created_at, updated_at) VALUES (?, ?, "
      "?, 'ready', ?, 0, 0, ?, '', 0, '', ?, ?)",
      {job.kind, job.key, job.payload, job.run_at_ms > 0 ? job.run_at_ms : now, job.max_attempts,
       now, now});
}

void JobStore::ensure_recurring(const std::string& kind, std::int64_t interval_ms) {
  const auto now = clock_.now_ms();
  // Two statements, each its own transaction: an INSERT that finds the key taken keeps a
  // shared lock on InnoDB until its transaction ends, and an UPDATE of the row in the same
  // transaction by two starting processes would deadlock.
  const bool created = database_.transact([&](db::Transaction& tx) {
    return tx.try_insert(
        "INSERT INTO lore_jobs (kind, job_key, payload, status, run_at, interval_ms, attempts, "
        "max_attempts, lease_owner, lease_until, last_error, created_at, updated_at) VALUES "
        "(?, 'recurring', '', 'ready', ?, ?, 0, 0, '', 0, '', ?, ?)",
        {kind, now, interval_ms, now, now});
  });
  if (created) return;
  database_.session().execute(
      "UPDATE lore_jobs SET interval_ms = ?, updated_at = ? WHERE kind = ? AND job_key = "
      "'recurring' AND interval_ms <> ?",
      {interval_ms, now, kind, interval_ms});
}

std::optional<Job> JobStore::lease_next(const std::string& owner, std::int64_t lease_ms,
                                        const std::vector<std::string>& kinds) {
  if (kinds.empty()) return std::nullopt;
  const auto now = clock_.now_ms();
  // A few candidates, in case another process takes the first between the SELECT and the
  // UPDATE: only the UPDATE that changed the row owns the job.
  std::vector<db::Value> params{now, now};
  for (const auto& kind : kinds) params.emplace_back(kind);
  std::vector<std::int64_t> candidates;
  {
    auto session = database_.session();
    for (const auto& row :
         session.query(std::string("SELECT id FROM lore_jobs WHERE ") + kDue + " AND kind IN (" +
                           sql_placeholders(kinds.size()) + ") ORDER BY run_at, id LIMIT 4",
                       params))
      candidates.push_back(row.get<std::int64_t>("id"));
  }
  for (const auto id : candidates) {
    auto job = database_.transact([&](db::Transaction& tx) -> std::optional<Job> {
      if (tx.execute(std::string("UPDATE lore_jobs SET status = 'running', lease_owner = ?, "
                                 "lease_until = ?, attempts = attempts + 1, updated_at = ? "
                                 "WHERE id = ? AND ") +
                         kDue,
                     {owner, now + lease_ms, now, id, now, now}) == 0)
        return std::nullopt;
      auto row =
          tx.query_one(std::string("SELECT ") + kColumns + " FROM lore_jobs WHERE id = ?", {id});
      return row ? std::optional(job_of(*row)) : std::nullopt;
    });
    if (job) return job;
  }
  return std::nullopt;
}

bool JobStore::succeeded(const Job& job, const std::string& owner) {
  const auto now = clock_.now_ms();
  auto session = database_.session();
  if (job.interval_ms > 0)
    return session.execute(
               "UPDATE lore_jobs SET status = 'ready', run_at = ?, attempts = 0, lease_owner = "
               "'', lease_until = 0, last_error = '', updated_at = ? WHERE id = ? AND "
               "status = 'running' AND lease_owner = ?",
               {now + job.interval_ms, now, job.id, owner}) > 0;
  return session.execute(
             "DELETE FROM lore_jobs WHERE id = ? AND status = 'running' AND lease_owner = ?",
             {job.id, owner}) > 0;
}

bool JobStore::failed(const Job& job, const std::string& owner, const std::string& error) {
  const auto now = clock_.now_ms();
  return database_.session().execute(
             "UPDATE lore_jobs SET status = ?, run_at = ?, lease_owner = '', lease_until = 0, "
             "last_error = ?, updated_at = ? WHERE id = ? AND status = 'running' AND "
             "lease_owner = ?",
             {std::string(job.last_attempt() ? "failed" : "ready"),
              now + backoff_ms(job.attempts, job.interval_ms), utf8_clipped(error, kErrorBytes),
              now, job.id, owner}) > 0;
}

std::int64_t JobStore::backoff_ms(int attempts, std::int64_t interval_ms) {
  constexpr std::int64_t kFirst = 10'000;
  constexpr std::int64_t kLongest = 3'600'000;
  const auto cap = interval_ms > 0 ? std::min(interval_ms, kLongest) : kLongest;
  const int doublings = std::clamp(attempts - 1, 0, 20);
  return std::min(kFirst << doublings, cap);
}

std::optional<Job> JobStore::find(const std::string& kind, const std::string& key) {
  auto session = database_.session();
  auto row = session.query_one(
      std::string("SELECT ") + kColumns + " FROM lore_jobs WHERE kind = ? AND job_key = ?",
      {kind, key});
  return row ? std::optional(job_of(*row)) : std::nullopt;
}

std::vector<Job> JobStore::all() {
  auto session = database_.session();
  std::vector<Job> out;
  for (const auto& row :
       session.query(std::string("SELECT ") + kColumns + " FROM lore_jobs ORDER BY id"))
    out.push_back(job_of(row));
  return out;
}

}  // namespace lore
