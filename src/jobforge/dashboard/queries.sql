-- The dashboard's own queries, one named block each (the format of jobforge/db/queries.sql,
-- parsed by the same parser); everything else it reads comes from jobforge.operations.
-- Parameters are %(name)s placeholders; values are never interpolated. Row-level security
-- applies: the operator's role sees the tenants it may see. Never prepared, as in
-- jobforge/operations/queries.sql: absent filters fold away when the query is planned.

-- list_jobs_before --
-- The page of jobs just newer than a keyset position (a job id), oldest first: the caller
-- reverses it. The filters are those of operations' list_jobs, which reads the other way:
-- job ids are version 7 UUIDs beginning with their enqueue time in milliseconds, so id
-- order is enqueue order and an age is a bound on the id; the primary key is walked
-- forwards from the position.
SELECT j.id, j.tenant_id, j.type, j.state::text AS state, j.priority, j.attempts,
       j.max_attempts, j.run_at, j.created_at, j.started_at, j.finished_at, j.parent_job_id,
       j.trace_id, j.idempotency_key, j.last_error
FROM jobforge.jobforge_jobs j
WHERE (%(tenant_id)s::uuid IS NULL OR j.tenant_id = %(tenant_id)s::uuid)
  AND (%(job_type)s::text IS NULL OR j.type = %(job_type)s::text)
  AND (%(states)s::jobforge.jobforge_job_state[] IS NULL
       OR j.state = ANY (%(states)s::jobforge.jobforge_job_state[]))
  AND (%(older_than)s::interval IS NULL OR j.id < encode(
          substring(int8send(floor(extract(epoch FROM now() - %(older_than)s::interval) * 1000)::bigint) FROM 3)
          || decode('00000000000000000000', 'hex'), 'hex')::uuid)
  AND (%(newer_than)s::interval IS NULL OR j.id >= encode(
          substring(int8send(floor(extract(epoch FROM now() - %(newer_than)s::interval) * 1000)::bigint) FROM 3)
          || decode('00000000000000000000', 'hex'), 'hex')::uuid)
  AND j.id > %(before_id)s::uuid
ORDER BY j.id
LIMIT %(limit)s;

-- dead_by_queue --
-- Dead jobs per tenant and job type (the dead-letter queue's size), read from the partial
-- index of dead jobs only; at most `max_queues` rows, the largest first.
SELECT j.tenant_id, j.type, count(*) AS dead
FROM jobforge.jobforge_jobs j
WHERE j.state = 'dead'
GROUP BY j.tenant_id, j.type
ORDER BY count(*) DESC, j.type, j.tenant_id
LIMIT %(max_queues)s;
