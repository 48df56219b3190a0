-- The durable job scheduler (issue 6): work that must happen even if the process that
-- planned it dies, run by whichever lore process leases it first.

-- A job runs when run_at has passed and nobody holds its lease. Running: lease_owner holds it
-- until lease_until; a process that died leaves a lease that expires, and another takes the job
-- over. Each run counts in attempts; a failed run waits (backoff) before the next. A recurring
-- job (interval_ms > 0) is set to run again after each run; a one-off job is deleted when it
-- succeeds and kept as 'failed' when it runs out of attempts. (kind, job_key) names a job once:
-- scheduling it again changes nothing.
CREATE TABLE lore_jobs (
  id {{id}},
  kind VARCHAR(64) NOT NULL,
  job_key VARCHAR(255) NOT NULL,
  payload {{text}} NOT NULL,
  status VARCHAR(16) NOT NULL,
  run_at {{time}} NOT NULL,
  interval_ms BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  lease_owner VARCHAR(128) NOT NULL,
  lease_until {{time}} NOT NULL,
  last_error VARCHAR(1000) NOT NULL,
  created_at {{time}} NOT NULL,
  updated_at {{time}} NOT NULL
) {{table_options}};
CREATE UNIQUE INDEX lore_jobs_once ON lore_jobs (kind, job_key);
CREATE INDEX lore_jobs_due ON lore_jobs (status, run_at);
