-- Run-time queries, one named block each: a `-- name --` line, a comment line saying
-- what the query does, then the SQL. Parsed once by jobforge.db.queries.
-- Parameters are %(name)s placeholders; values are never interpolated.

-- enqueue_job --
-- Enqueue one job; returns (job_id, created, state, trace_id).
SELECT job_id, created, state::text AS state, trace_id
FROM jobforge.jobforge_enqueue_jobs(%(jobs)s::jsonb);

-- enqueue_jobs --
-- Enqueue many jobs in one statement; one row per input job, in input order.
-- Columns in EnqueuedJob's field order: the clients build receipts from plain tuples.
SELECT job_id, created, state::text AS state, trace_id
FROM jobforge.jobforge_enqueue_jobs(%(jobs)s::jsonb)
ORDER BY job_index;

-- get_job --
-- One job by id (row-level security hides other tenants' jobs).
SELECT id, tenant_id, type, payload, idempotency_key, state::text AS state, priority,
       run_at, attempts, max_attempts, lease_owner, lease_expires_at, last_error,
       trace_id, ordering_key, created_at, updated_at, started_at, finished_at, parent_job_id
FROM jobforge.jobforge_jobs
WHERE id = %(job_id)s;

-- get_follow_ups --
-- The jobs a job's attempt enqueued as its follow-ups, in the order it asked for them.
SELECT id, tenant_id, type, payload, idempotency_key, state::text AS state, priority,
       run_at, attempts, max_attempts, lease_owner, lease_expires_at, last_error,
       trace_id, ordering_key, created_at, updated_at, started_at, finished_at, parent_job_id
FROM jobforge.jobforge_jobs
WHERE parent_job_id = %(job_id)s
ORDER BY seq;

-- get_results --
-- Every recorded attempt of a job, oldest first.
SELECT job_id, attempt, tenant_id, type, outcome, output, error, worker_id, trace_id,
       started_at, finished_at, input_snapshot, decision_trace, artifact_canonical,
       input_sha256, artifact_sha256, follow_ups
FROM jobforge.jobforge_job_results
WHERE job_id = %(job_id)s
ORDER BY attempt;

-- cancel_job --
-- Cancel a job that has not finished; returns the job as it now stands.
SELECT id, tenant_id, type, payload, idempotency_key, state::text AS state, priority,
       run_at, attempts, max_attempts, lease_owner, lease_expires_at, last_error,
       trace_id, ordering_key, created_at, updated_at, started_at, finished_at, parent_job_id
FROM jobforge.jobforge_cancel_job(%(job_id)s);

-- discard_job --
-- Discard a dead letter (dead becomes canceled); returns the job as it now stands.
SELECT id, tenant_id, type, payload, idempotency_key, state::text AS state, priority,
       run_at, attempts, max_attempts, lease_owner, lease_expires_at, last_error,
       trace_id, ordering_key, created_at, updated_at, started_at, finished_at, parent_job_id
FROM jobforge.jobforge_discard_job(%(job_id)s);

-- requeue_job --
-- Run a dead or canceled job again with more attempts; returns the job as it now stands.
SELECT id, tenant_id, type, payload, idempotency_key, state::text AS state, priority,
       run_at, attempts, max_attempts, lease_owner, lease_expires_at, last_error,
       trace_id, ordering_key, created_at, updated_at, started_at, finished_at, parent_job_id
FROM jobforge.jobforge_requeue_job(%(job_id)s, %(extra_attempts)s);

-- fire_event --
-- Fire an event; one row per job its matching triggers created (or found again).
SELECT trigger_id, job_id, created, job_type
FROM jobforge.jobforge_fire_event(%(tenant_id)s, %(event_type)s, %(payload)s::jsonb,
                         %(idempotency_key)s, %(trace_id)s);

-- create_trigger --
-- Create or replace a tenant's named trigger; returns its id.
INSERT INTO jobforge.jobforge_triggers AS t
    (tenant_id, name, event_type, job_type, payload_filter, payload_defaults, priority,
     max_attempts, enabled)
VALUES (%(tenant_id)s, %(name)s, %(event_type)s, %(job_type)s, %(payload_filter)s::jsonb,
        %(payload_defaults)s::jsonb, %(priority)s, %(max_attempts)s, %(enabled)s)
ON CONFLICT (tenant_id, name) DO UPDATE
SET event_type = excluded.event_type, job_type = excluded.job_type,
    payload_filter = excluded.payload_filter, payload_defaults = excluded.payload_defaults,
    priority = excluded.priority, max_attempts = excluded.max_attempts,
    enabled = excluded.enabled
RETURNING id;

-- claim_jobs --
-- Claim up to `limit` runnable jobs for a worker, taking a lease.
SELECT id, tenant_id, type, payload, attempts, max_attempts, trace_id, started_at,
       ordering_key, replay_context, run_at
FROM jobforge.jobforge_claim_jobs(%(worker_id)s, %(limit)s, %(lease_seconds)s, %(job_types)s);

-- heartbeat --
-- Extend the worker's leases on the attempts it runs; returns the ids it still holds.
SELECT job_id
FROM jobforge.jobforge_heartbeat(%(worker_id)s, %(job_ids)s::uuid[], %(attempts)s::integer[],
                                 %(lease_seconds)s) AS h(job_id);

-- complete_jobs --
-- Record successful attempts in one statement; returns the ids of those accepted.
SELECT job_id FROM jobforge.jobforge_complete_jobs(%(worker_id)s, %(results)s::jsonb) AS c(job_id);

-- complete_jobs_with_follow_ups --
-- Record successful attempts and enqueue the follow-up jobs they ask for, in one statement.
SELECT job_id
FROM jobforge.jobforge_complete_jobs_with_follow_ups(%(worker_id)s, %(results)s::jsonb) AS c(job_id);

-- fail_jobs --
-- Record failed attempts in one statement; returns those accepted with their new state.
SELECT job_id, state::text AS state, run_at
FROM jobforge.jobforge_fail_jobs(%(worker_id)s, %(failures)s::jsonb);

-- listen_jobs --
-- Subscribe to the channel enqueue notifies when runnable jobs arrive.
LISTEN jobforge_jobs;

-- grant_tenant --
-- Let a role act for a tenant as a producer or a worker (owner only).
SELECT jobforge.jobforge_grant_tenant(%(role)s, %(tenant_id)s, %(kind)s);

-- revoke_tenant --
-- Withdraw a tenant from a role, one kind or both (owner only); true if a grant was removed.
SELECT jobforge.jobforge_revoke_tenant(%(role)s, %(tenant_id)s, %(kind)s) AS revoked;

-- prune_finished_jobs --
-- Delete finished jobs (and their results) older than an interval, in one batch.
SELECT jobforge.jobforge_prune_finished_jobs(make_interval(secs => %(older_than_seconds)s), %(limit)s)
    AS pruned;

-- queue_stats --
-- Job counts per tenant, type and state.
SELECT tenant_id, type, state::text AS state, jobs FROM jobforge.jobforge_queue_stats();

-- release_jobs --
-- Give claimed jobs back without counting the attempt (worker shutdown).
SELECT job_id FROM jobforge.jobforge_release_jobs(%(worker_id)s, %(jobs)s::jsonb) AS r(job_id);
