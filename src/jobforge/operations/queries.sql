-- The operator read models' queries, one named block each: a `-- name --` line, a comment
-- line saying what the query does, then the SQL. Parsed once by jobforge.operations.queries.
-- Parameters are %(name)s placeholders; values are never interpolated. Optional filters
-- are `%(x)s IS NULL OR ...`: each query is planned with its values (never prepared), so
-- an absent filter folds away and the plan uses the index that fits the filters given.
-- Row-level security applies: a role granted some tenants sees only those tenants' jobs.

-- job_filter --
-- (A fragment, not a query: {{job_filter}} in a block below stands for it.) The filters
-- of every listing, each folded away when its parameter is null. Job ids are version 7
-- UUIDs whose first 48 bits are the enqueue time in milliseconds, so an age is a bound on
-- the id (an id of that millisecond with every other bit zero).
(%(tenant_id)s::uuid IS NULL OR j.tenant_id = %(tenant_id)s::uuid)
  AND (%(job_type)s::text IS NULL OR j.type = %(job_type)s::text)
  AND (%(states)s::jobforge.jobforge_job_state[] IS NULL
       OR j.state = ANY (%(states)s::jobforge.jobforge_job_state[]))
  AND (%(older_than)s::interval IS NULL OR j.id < encode(
          substring(int8send(floor(extract(epoch FROM now() - %(older_than)s::interval) * 1000)::bigint) FROM 3)
          || decode('00000000000000000000', 'hex'), 'hex')::uuid)
  AND (%(newer_than)s::interval IS NULL OR j.id >= encode(
          substring(int8send(floor(extract(epoch FROM now() - %(newer_than)s::interval) * 1000)::bigint) FROM 3)
          || decode('00000000000000000000', 'hex'), 'hex')::uuid)

-- list_jobs --
-- One page of jobs, newest first, after a keyset position. Job ids are version 7 UUIDs
-- whose first 48 bits are the enqueue time in milliseconds: id order is enqueue order
-- (to the millisecond), read from the primary key, and an age is a bound on the id
-- (an id of that millisecond with every other bit zero), so no index on created_at is
-- needed and enqueue pays for none.
SELECT j.id, j.tenant_id, j.type, j.state::text AS state, j.priority, j.attempts,
       j.max_attempts, j.run_at, j.created_at, j.started_at, j.finished_at, j.parent_job_id,
       j.trace_id, j.idempotency_key, j.last_error
FROM jobforge.jobforge_jobs j
WHERE {{job_filter}}
  AND (%(after_id)s::uuid IS NULL OR j.id < %(after_id)s::uuid)
ORDER BY j.id DESC
LIMIT %(limit)s;

-- list_jobs_newer --
-- The page of jobs just newer than a keyset position (a job id), oldest first (the caller
-- turns it newest first): the primary key walked forwards from the position.
SELECT j.id, j.tenant_id, j.type, j.state::text AS state, j.priority, j.attempts,
       j.max_attempts, j.run_at, j.created_at, j.started_at, j.finished_at, j.parent_job_id,
       j.trace_id, j.idempotency_key, j.last_error
FROM jobforge.jobforge_jobs j
WHERE {{job_filter}}
  AND j.id > %(before_id)s::uuid
ORDER BY j.id
LIMIT %(limit)s;

-- count_jobs --
-- How many jobs match the filters (bulk actions confirm this number; never unfiltered).
SELECT count(*) AS jobs
FROM jobforge.jobforge_jobs j
WHERE {{job_filter}};

-- get_job --
-- One job, every column an operator reads (payload included).
SELECT j.id, j.tenant_id, j.type, j.state::text AS state, j.priority, j.attempts,
       j.max_attempts, j.run_at, j.created_at, j.updated_at, j.started_at, j.finished_at,
       j.parent_job_id, j.trace_id, j.idempotency_key, j.ordering_key, j.lease_owner,
       j.lease_expires_at, j.last_error, j.payload
FROM jobforge.jobforge_jobs j
WHERE j.id = %(job_id)s;

-- job_attempts --
-- Every recorded attempt of the given jobs, by job then attempt; the output artifact and
-- the decision trace only for the job named by `detailed_job_id`.
SELECT r.job_id, r.attempt, r.outcome, r.worker_id, r.started_at, r.finished_at, r.error,
       r.artifact_sha256, r.input_sha256, r.follow_ups,
       CASE WHEN r.job_id = %(detailed_job_id)s::uuid THEN r.output END AS output,
       CASE WHEN r.job_id = %(detailed_job_id)s::uuid THEN r.decision_trace END AS decision_trace,
       CASE WHEN r.job_id = %(detailed_job_id)s::uuid
            THEN r.artifact_canonical END AS artifact_canonical
FROM jobforge.jobforge_job_results r
WHERE r.job_id = ANY (%(job_ids)s::uuid[])
ORDER BY r.job_id, r.attempt;

-- cancel_job --
-- Cancel through the RPC (which checks the caller's producer grant); the job as it stands.
SELECT c.id, c.state::text AS state, c.attempts, c.max_attempts
FROM jobforge.jobforge_cancel_job(%(job_id)s) c;

-- requeue_job --
-- Run a dead or canceled job again through the RPC; the job as it now stands.
SELECT r.id, r.state::text AS state, r.attempts, r.max_attempts
FROM jobforge.jobforge_requeue_job(%(job_id)s, %(extra_attempts)s) r;

-- requeue_jobs --
-- Requeue many jobs through the RPC in one statement, skipping ids pruned meanwhile; one
-- row per job with the state it now has (still dead/canceled: the RPC left it alone).
SELECT r.id, r.state::text AS state, r.attempts, r.max_attempts
FROM unnest(%(job_ids)s::uuid[]) AS t(id)
CROSS JOIN LATERAL jobforge.jobforge_requeue_job(t.id, %(extra_attempts)s) r
WHERE EXISTS (SELECT 1 FROM jobforge.jobforge_jobs j WHERE j.id = t.id);

-- discard_jobs --
-- Discard many dead letters through the RPC in one statement (dead becomes canceled),
-- skipping ids pruned meanwhile; one row per job with the state it now has.
SELECT d.id, d.state::text AS state, d.attempts, d.max_attempts
FROM unnest(%(job_ids)s::uuid[]) AS t(id)
CROSS JOIN LATERAL jobforge.jobforge_discard_job(t.id) d
WHERE EXISTS (SELECT 1 FROM jobforge.jobforge_jobs j WHERE j.id = t.id);

-- caused_jobs --
-- The job and every job it caused through follow-ups (parent_job_id), depth first in the
-- order they were enqueued, at most `max_depth` levels and `max_jobs` + 1 rows.
WITH RECURSIVE tree AS (
    SELECT j.id, 0 AS depth, ARRAY[j.seq] AS path
    FROM jobforge.jobforge_jobs j
    WHERE j.id = %(job_id)s
    UNION ALL
    SELECT c.id, t.depth + 1, t.path || c.seq
    FROM tree t
    JOIN jobforge.jobforge_jobs c ON c.parent_job_id = t.id
    WHERE t.depth < %(max_depth)s
)
SELECT j.id, j.tenant_id, j.type, j.state::text AS state, j.priority, j.attempts,
       j.max_attempts, j.run_at, j.created_at, j.started_at, j.finished_at, j.parent_job_id,
       j.trace_id, j.idempotency_key, j.last_error, t.depth
FROM tree t
JOIN jobforge.jobforge_jobs j ON j.id = t.id
ORDER BY t.path
LIMIT %(max_jobs)s + 1;

-- triggers_by_id --
-- The event triggers named by trigger-made jobs' idempotency keys.
SELECT t.id, t.name, t.event_type, t.job_type
FROM jobforge.jobforge_triggers t
WHERE t.id = ANY (%(trigger_ids)s::uuid[])
ORDER BY t.id;

-- queue_overview --
-- Per job type (and tenant, when `per_tenant`): jobs ready, scheduled and running, the age
-- of the oldest ready job, jobs finished in the last minute, and p50/p95 of queue wait
-- (run_at to the start of the last attempt) and run time of jobs finished within the
-- window. Each part reads only the partial index of its states, never finished history.
WITH waiting AS (
    SELECT j.type, CASE WHEN %(per_tenant)s THEN j.tenant_id END AS tenant_id,
           count(*) FILTER (WHERE j.run_at <= now()) AS ready,
           count(*) FILTER (WHERE j.run_at > now()) AS scheduled,
           0::bigint AS running,
           min(j.run_at) FILTER (WHERE j.run_at <= now()) AS oldest_ready_at,
           0::bigint AS succeeded_last_minute, 0::bigint AS dead_last_minute,
           NULL::double precision AS wait_p50_seconds, NULL::double precision AS wait_p95_seconds,
           NULL::double precision AS run_p50_seconds, NULL::double precision AS run_p95_seconds
    FROM jobforge.jobforge_jobs j
    WHERE j.state IN ('queued', 'awaiting_retry')
    GROUP BY 1, 2
),
running AS (
    SELECT j.type, CASE WHEN %(per_tenant)s THEN j.tenant_id END AS tenant_id,
           0::bigint, 0::bigint, count(*), NULL::timestamptz, 0::bigint, 0::bigint,
           NULL::double precision, NULL::double precision,
           NULL::double precision, NULL::double precision
    FROM jobforge.jobforge_jobs j
    WHERE j.state = 'running'
    GROUP BY 1, 2
),
finished AS (
    SELECT f.type, f.tenant_id, 0::bigint, 0::bigint, 0::bigint, NULL::timestamptz,
           count(*) FILTER (WHERE f.state = 'succeeded' AND f.last_minute),
           count(*) FILTER (WHERE f.state = 'dead' AND f.last_minute),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY f.wait_seconds) FILTER (WHERE f.measured),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY f.wait_seconds) FILTER (WHERE f.measured),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY f.run_seconds) FILTER (WHERE f.measured),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY f.run_seconds) FILTER (WHERE f.measured)
    FROM (
        SELECT j.type, CASE WHEN %(per_tenant)s THEN j.tenant_id END AS tenant_id, j.state,
               j.finished_at >= now() - interval '1 minute' AS last_minute,
               -- Canceled jobs ran to no end (or never started): not a latency sample.
               j.state <> 'canceled' AND j.started_at IS NOT NULL
                   AND j.finished_at >= now() - %(window)s::interval AS measured,
               greatest(extract(epoch FROM j.started_at - j.run_at), 0)::double precision
                   AS wait_seconds,
               greatest(extract(epoch FROM j.finished_at - j.started_at), 0)::double precision
                   AS run_seconds
        FROM jobforge.jobforge_jobs j
        WHERE j.state IN ('succeeded', 'dead', 'canceled')
          AND j.finished_at >= now() - greatest(%(window)s::interval, interval '1 minute')
    ) AS f
    GROUP BY 1, 2
)
SELECT a.type, a.tenant_id, sum(a.ready)::bigint AS ready,
       sum(a.scheduled)::bigint AS scheduled, sum(a.running)::bigint AS running,
       extract(epoch FROM now() - min(a.oldest_ready_at))::double precision AS lag_seconds,
       sum(a.succeeded_last_minute)::bigint AS succeeded_last_minute,
       sum(a.dead_last_minute)::bigint AS dead_last_minute,
       max(a.wait_p50_seconds) AS wait_p50_seconds, max(a.wait_p95_seconds) AS wait_p95_seconds,
       max(a.run_p50_seconds) AS run_p50_seconds, max(a.run_p95_seconds) AS run_p95_seconds
FROM (
    SELECT * FROM waiting
    UNION ALL SELECT * FROM running
    UNION ALL SELECT * FROM finished
) AS a
GROUP BY a.type, a.tenant_id
ORDER BY a.type, a.tenant_id NULLS FIRST;

-- job_states --
-- The state of each of the given jobs that exists (and this role may see).
SELECT j.id, j.state::text AS state
FROM jobforge.jobforge_jobs j
WHERE j.id = ANY (%(job_ids)s::uuid[]);

-- any_follow_up --
-- One follow-up of any of the given jobs, if there is one (is the tree cut at its depth?).
SELECT j.id
FROM jobforge.jobforge_jobs j
WHERE j.parent_job_id = ANY (%(job_ids)s::uuid[])
LIMIT 1;
