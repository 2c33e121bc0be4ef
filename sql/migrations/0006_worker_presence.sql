-- JobForge router: worker presence (which workers run, and what they serve).
--
-- * jobforge_workers holds one row per worker process: its id, the role it connects as,
--   host name, process id, JobForge version and the job types it claims (null: every
--   type), when it started, when it was last seen and when it stopped cleanly. Operators
--   read it (`jobforge doctor`); no tenant role reads or writes it.
-- * Workers write their own row through one SECURITY DEFINER RPC,
--   jobforge_record_worker_presence, at start, every few seconds and at a clean stop. The
--   times are the server's, the role is the calling role, and a worker id first recorded
--   by another role is refused, so no role can forge or take over another role's workers.
--   It is granted to the roles holding a worker grant (and the owner).
-- * Rows not seen for 7 days (workers that died or stopped long ago) are deleted by the
--   next call of any worker: the table holds recent workers only.
-- * Privileges: jobforge_sync_role_privileges (of the migrations before this one) keeps its
--   body under the name jobforge_sync_role_privileges_before_presence; the function of the
--   old name calls it, then grants the presence RPC to worker roles.
--
-- Error codes: JF003 (the caller holds no worker grant, or the worker id is another
-- role's), JF005 (invalid argument), as in version 3.

CREATE TABLE jobforge.jobforge_workers (
    worker_id    text PRIMARY KEY,
    -- The role the worker connected as (jobforge_calling_role), never what it claims.
    role_name    name NOT NULL,
    hostname     text NOT NULL,
    pid          integer NOT NULL,
    version      text NOT NULL,
    -- The job types the worker claims; null when it claims every type.
    job_types    text[],
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    stopped_at   timestamptz,
    -- Shown in terminals: bounded, and no control characters.
    CONSTRAINT jobforge_workers_worker_id_text
        CHECK (length(worker_id) BETWEEN 1 AND 200 AND worker_id !~ '[[:cntrl:]]'),
    CONSTRAINT jobforge_workers_hostname_text
        CHECK (length(hostname) BETWEEN 1 AND 255 AND hostname !~ '[[:cntrl:]]'),
    CONSTRAINT jobforge_workers_pid_range CHECK (pid > 0),
    CONSTRAINT jobforge_workers_version_text
        CHECK (length(version) BETWEEN 1 AND 100 AND version !~ '[[:cntrl:]]'),
    CONSTRAINT jobforge_workers_job_types_list CHECK (
        array_ndims(job_types) = 1 AND cardinality(job_types) <= 1000
        AND array_position(job_types, NULL) IS NULL
        AND length(array_to_string(job_types, '')) <= 200000
        AND array_to_string(job_types, ',') !~ '[[:cntrl:]]'),
    CONSTRAINT jobforge_workers_times
        CHECK (started_at <= last_seen_at AND (stopped_at IS NULL OR stopped_at = last_seen_at))
);

CREATE INDEX jobforge_workers_last_seen_idx ON jobforge.jobforge_workers (last_seen_at);

-- Owner only, like the other operator tables: row-level security with no policy.
ALTER TABLE jobforge.jobforge_workers ENABLE ROW LEVEL SECURITY;

-- Records that worker p_worker_id, of the calling role, is alive now (p_stopped false) or
-- has just stopped cleanly (p_stopped true), with what it serves. The first call of an id
-- (or the first after a stop) sets started_at. Returns the time recorded (the server's).
-- Refuses a caller holding no worker grant, and an id recorded by another role (JF003).
CREATE FUNCTION jobforge.jobforge_record_worker_presence(
    p_worker_id text, p_hostname text, p_pid integer, p_version text, p_job_types text[],
    p_stopped boolean DEFAULT false
) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_role name := jobforge.jobforge_calling_role();
    v_now  timestamptz := now();
    v_seen timestamptz;
BEGIN
    IF cardinality(jobforge.jobforge_caller_tenants('worker')) = 0 THEN
        RAISE EXCEPTION 'role % holds no worker grant: only workers record their presence', v_role
            USING ERRCODE = 'JF003',
                  HINT = 'the JobForge owner grants it: jobforge grant-tenant ROLE TENANT_ID --worker';
    END IF;
    IF p_worker_id IS NULL OR p_hostname IS NULL OR p_pid IS NULL OR p_version IS NULL
       OR p_stopped IS NULL THEN
        RAISE EXCEPTION 'worker_id, hostname, pid, version and stopped: expected values, got null'
            USING ERRCODE = 'JF005';
    END IF;
    DELETE FROM jobforge.jobforge_workers w WHERE w.last_seen_at < v_now - interval '7 days';
    INSERT INTO jobforge.jobforge_workers AS w (
        worker_id, role_name, hostname, pid, version, job_types, started_at, last_seen_at,
        stopped_at)
    VALUES (p_worker_id, v_role, p_hostname, p_pid, p_version, p_job_types, v_now, v_now,
            CASE WHEN p_stopped THEN v_now END)
    ON CONFLICT (worker_id) DO UPDATE
    SET hostname = EXCLUDED.hostname,
        pid = EXCLUDED.pid,
        version = EXCLUDED.version,
        job_types = EXCLUDED.job_types,
        started_at = CASE WHEN w.stopped_at IS NOT NULL AND NOT p_stopped THEN v_now
                          ELSE least(w.started_at, v_now) END,
        last_seen_at = v_now,
        stopped_at = EXCLUDED.stopped_at
    WHERE w.role_name = v_role
    RETURNING w.last_seen_at INTO v_seen;
    IF v_seen IS NULL THEN
        RAISE EXCEPTION 'worker id % is recorded for another role', p_worker_id
            USING ERRCODE = 'JF003',
                  HINT = 'every worker process needs an id of its own (the default is host:pid:random)';
    END IF;
    RETURN v_seen;
END;
$$;

------------------------------------------------------------------------------------------
-- Privileges: those of the migrations before, then the presence RPC for worker grants
------------------------------------------------------------------------------------------

ALTER FUNCTION jobforge.jobforge_sync_role_privileges(name)
    RENAME TO jobforge_sync_role_privileges_before_presence;

-- What jobforge_sync_role_privileges_before_presence gives p_role (it first revokes
-- everything the role held on JobForge objects), then EXECUTE on
-- jobforge_record_worker_presence for a worker grant. The owner and superusers are left
-- alone. Every grant, revoke and reset calls it by this name.
CREATE FUNCTION jobforge.jobforge_sync_role_privileges(p_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_role oid;
BEGIN
    PERFORM jobforge.jobforge_sync_role_privileges_before_presence(p_role);
    SELECT r.oid INTO v_role FROM pg_catalog.pg_roles r
    WHERE r.rolname = p_role AND NOT r.rolsuper;
    IF v_role IS NULL OR pg_catalog.pg_has_role(
            v_role, (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'jobforge'),
            'USAGE') THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM jobforge.jobforge_tenant_grants g
               WHERE g.role_name = p_role AND g.kind = 'worker') THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION jobforge.jobforge_record_worker_presence('
                       'text, text, integer, text, text[], boolean) TO %I', p_role);
    END IF;
END;
$$;

SELECT jobforge.jobforge_reset_privileges();
