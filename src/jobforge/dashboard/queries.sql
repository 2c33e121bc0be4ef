-- The dashboard's own queries, one named block each (the format of jobforge/db/queries.sql,
-- parsed by the same parser); everything else it reads comes from jobforge.operations.
-- Parameters are %(name)s placeholders; values are never interpolated. Row-level security
-- applies: the operator's role sees the tenants it may see. Never prepared, as in
-- jobforge/operations/queries.sql: absent filters fold away when the query is planned.

-- dead_by_queue --
-- Dead jobs per tenant and job type (the dead-letter queue's size), read from the partial
-- index of dead jobs only; at most `max_queues` rows, the largest first.
SELECT j.tenant_id, j.type, count(*) AS dead
FROM jobforge.jobforge_jobs j
WHERE j.state = 'dead'
GROUP BY j.tenant_id, j.type
ORDER BY count(*) DESC, j.type, j.tenant_id
LIMIT %(max_queues)s;
