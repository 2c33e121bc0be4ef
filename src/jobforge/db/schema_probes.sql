-- Recognising a schema applied by hand (psql -f of the shipped migration files, with no
-- history table): one block per migration version, each true when that version's effects
-- are in the database. Parsed by jobforge.db.migration_history. A new migration adds a
-- block here that tells it from the version before.

-- version_1 --
-- The router's tables exist (where version 1 made them, or where version 3 moved them).
SELECT to_regclass('jobforge_jobs') IS NOT NULL
    OR to_regclass('jobforge.jobforge_jobs') IS NOT NULL AS applied;

-- version_2 --
-- jobforge_enqueue_jobs has the plain INSERT for batches without idempotency keys.
SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_proc p
    WHERE p.proname = 'jobforge_enqueue_jobs' AND p.prosrc LIKE '%a plain insert skips%'
) AS applied;

-- version_3 --
-- Everything lives in the jobforge schema, which resets its own privileges.
SELECT to_regprocedure('jobforge.jobforge_reset_privileges()') IS NOT NULL AS applied;

-- version_4 --
-- Attempts complete with their follow-up jobs.
SELECT to_regprocedure('jobforge.jobforge_complete_jobs_with_follow_ups(text, jsonb)') IS NOT NULL
    AS applied;

-- version_5 --
-- Tenants' API keys are kept, as hashes.
SELECT to_regclass('jobforge.jobforge_api_keys') IS NOT NULL AS applied;

-- version_6 --
-- Workers record their presence.
SELECT to_regclass('jobforge.jobforge_workers') IS NOT NULL AS applied;

-- version_7 --
-- The dead-letter queue has its index.
SELECT to_regclass('jobforge.jobforge_jobs_dead_idx') IS NOT NULL AS applied;

-- version_8 --
-- Dead letters can be discarded.
SELECT to_regprocedure('jobforge.jobforge_discard_job(uuid)') IS NOT NULL AS applied;

-- jobforge_objects --
-- Anything named like JobForge's, to say what is there when no version accounts for it.
SELECT n.nspname || '.' || c.relname AS name
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname LIKE 'jobforge%' AND c.relkind IN ('r', 'v', 'S')
  AND c.relname <> 'jobforge_schema_migrations'
UNION ALL
SELECT n.nspname || '.' || p.proname || '()'
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname LIKE 'jobforge%'
ORDER BY 1
LIMIT 10;
