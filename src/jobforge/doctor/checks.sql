-- What `jobforge doctor` reads, one named block each (see jobforge.db.queries for the
-- format). Parsed once by jobforge.doctor.queries. Read-only: doctor changes nothing.

-- connection --
-- Who is connected, to which server, and whether that role administers JobForge.
SELECT current_user::text AS role_name,
       current_setting('server_version') AS server_version,
       n.oid IS NOT NULL AS schema_exists,
       coalesce(r.rolsuper OR pg_catalog.pg_has_role(current_user, n.nspowner, 'USAGE'), false)
           AS administers
FROM pg_catalog.pg_roles r
LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = 'jobforge'
WHERE r.rolname = current_user;

-- migration_history --
-- The applied migrations JobForge recorded, oldest first (no rows without the table).
SELECT version, name, checksum
FROM jobforge.jobforge_schema_migrations
ORDER BY version;

-- history_exists --
-- Whether the migration history table exists.
SELECT to_regclass('jobforge.jobforge_schema_migrations') IS NOT NULL AS found;

-- table_security --
-- Every table of the jobforge schema with its row-level security settings.
SELECT c.relname::text AS table_name, c.relrowsecurity AS enabled,
       c.relforcerowsecurity AS forced
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'jobforge' AND c.relkind IN ('r', 'p')
ORDER BY c.relname;

-- function_settings --
-- Every function of the jobforge schema with its signature and search_path setting.
SELECT p.oid::regprocedure::text AS signature,
       (SELECT substr(s.setting, length('search_path=') + 1)
        FROM unnest(p.proconfig) AS s(setting)
        WHERE left(s.setting, 12) = 'search_path=') AS search_path
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'jobforge'
ORDER BY 1;

-- function_grantees --
-- Who may execute each jobforge function besides its owner: PUBLIC (also when no grant
-- was ever recorded, PostgreSQL's default) or named roles.
SELECT p.oid::regprocedure::text AS signature, p.prosecdef AS security_definer,
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname::text END AS grantee
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
WHERE n.nspname = 'jobforge' AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
ORDER BY 1, 3;

-- granted_roles --
-- The roles JobForge grants something to: tenant grants by kind, and key verifiers.
SELECT g.role_name::text AS role_name, g.kind, count(*) AS tenants
FROM jobforge.jobforge_tenant_grants g
GROUP BY g.role_name, g.kind
UNION ALL
SELECT v.role_name::text, 'key_verifier', 0
FROM jobforge.jobforge_api_key_verifiers v
ORDER BY 1, 2;

-- workers_table_exists --
-- Whether the worker presence table (schema version 8) exists.
SELECT to_regclass('jobforge.jobforge_workers') IS NOT NULL AS found;

-- workers --
-- Workers recorded: live (seen within the window, not stopped), silent (not seen within
-- it, never stopped cleanly) or stopped, with how long ago each was last seen.
SELECT w.worker_id, w.role_name::text AS role_name, w.hostname, w.pid, w.version,
       w.job_types,
       CASE WHEN w.stopped_at IS NOT NULL THEN 'stopped'
            WHEN w.last_seen_at >= now() - make_interval(secs => %(seen_seconds)s) THEN 'live'
            ELSE 'silent' END AS status,
       floor(extract(epoch FROM now() - w.last_seen_at))::bigint AS seen_seconds_ago
FROM jobforge.jobforge_workers w
ORDER BY w.worker_id;

-- expired_leases --
-- Running jobs whose lease has expired (the next claim by any worker rescues them).
SELECT count(*) AS jobs,
       coalesce(floor(extract(epoch FROM now() - min(j.lease_expires_at))), 0)::bigint
           AS oldest_expired_seconds
FROM jobforge.jobforge_jobs j
WHERE j.state = 'running' AND j.lease_expires_at < now();

-- dead_letters --
-- Dead jobs per type: how many, and how long ago the newest died.
SELECT j.type, count(*) AS jobs,
       floor(extract(epoch FROM now() - max(j.finished_at)))::bigint AS newest_seconds_ago
FROM jobforge.jobforge_jobs j
WHERE j.state = 'dead'
GROUP BY j.type
ORDER BY j.type;

-- runnable_jobs --
-- Jobs that may run now, per type: how many, and how long the oldest has waited.
SELECT j.type, count(*) AS jobs,
       floor(extract(epoch FROM now() - min(j.run_at)))::bigint AS oldest_seconds
FROM jobforge.jobforge_jobs j
WHERE j.state IN ('queued', 'awaiting_retry') AND j.run_at <= now()
GROUP BY j.type
ORDER BY j.type;

-- unserved_job_types --
-- Waiting jobs (queued or awaiting a retry) per type whose tenant and type no live worker
-- serves: none claims the type, or none connects as a role granted the tenant as a worker
-- (or as the owner). due: how many of them may run now.
WITH live AS (
    SELECT w.role_name, w.job_types, r.oid AS role_oid,
           r.rolsuper OR pg_catalog.pg_has_role(
               r.oid, (SELECT n.nspowner FROM pg_catalog.pg_namespace n
                       WHERE n.nspname = 'jobforge'), 'USAGE') AS administers
    FROM jobforge.jobforge_workers w
    JOIN pg_catalog.pg_roles r ON r.rolname = w.role_name
    WHERE w.stopped_at IS NULL
      AND w.last_seen_at >= now() - make_interval(secs => %(seen_seconds)s)
)
SELECT j.type, count(*) AS jobs, count(*) FILTER (WHERE j.run_at <= now()) AS due,
       count(DISTINCT j.tenant_id) AS tenants
FROM jobforge.jobforge_jobs j
WHERE j.state IN ('queued', 'awaiting_retry')
  AND NOT EXISTS (
      SELECT 1 FROM live
      WHERE (live.job_types IS NULL OR j.type = ANY (live.job_types))
        AND (live.administers OR EXISTS (
            SELECT 1 FROM jobforge.jobforge_tenant_grants g
            JOIN pg_catalog.pg_roles granted ON granted.rolname = g.role_name
            WHERE g.kind = 'worker' AND g.tenant_id = j.tenant_id
              AND pg_catalog.pg_has_role(live.role_oid, granted.oid, 'USAGE'))))
GROUP BY j.type
ORDER BY j.type;

-- waiting_job_types --
-- The types of jobs not finished (queued, awaiting a retry or running).
SELECT DISTINCT j.type
FROM jobforge.jobforge_jobs j
WHERE j.state IN ('queued', 'awaiting_retry', 'running')
ORDER BY j.type;
