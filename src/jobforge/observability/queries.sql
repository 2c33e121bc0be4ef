-- The metrics' queries, one named block each (the format of jobforge/db/queries.sql,
-- parsed by the same parser). Parameters are %(name)s placeholders; values are never
-- interpolated.

-- limit_statement_time --
-- Bound every statement of the metrics connection (a scrape must answer while it waits).
SELECT set_config('statement_timeout', %(milliseconds)s, false);

-- queue_depth_and_lag --
-- Runnable jobs per type, as the connecting role sees them (row-level security), with the
-- age in seconds of the oldest one's run_at. Reads jobforge_jobs_runnable_idx only.
SELECT type,
       count(*) AS depth,
       extract(epoch FROM now() - min(run_at))::double precision AS lag_seconds
FROM jobforge.jobforge_jobs
WHERE state IN ('queued', 'awaiting_retry') AND run_at <= now()
GROUP BY type
ORDER BY type;
