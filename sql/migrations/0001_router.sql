-- JobForge router, version 1: the queue, immutable results, event triggers,
-- tenant grants with row-level security, and the RPC functions every client uses.
--
-- Stock PostgreSQL 14+ and no extensions (gen_random_uuid is built in since 13).
-- Apply with `jobforge migrate` (which records the version and checksum) or with
-- `psql --single-transaction -f`.
--
-- Error codes raised by the RPCs (SQLSTATE class JF):
--   JF001 idempotency key reused with another payload
--   JF002 lease lost: the job is no longer running under this worker and attempt
--   JF003 tenant not granted to the current role
--   JF004 job not found (or not visible to the current role)
--   JF005 invalid argument

CREATE TYPE jobforge_job_state AS ENUM (
    'queued',          -- waiting for its run_at and a worker
    'running',         -- claimed: a worker holds its lease
    'awaiting_retry',  -- an attempt failed; runs again at run_at
    'succeeded',       -- finished with a result
    'dead',            -- failed its last attempt (or failed without retry): dead-lettered
    'canceled'         -- canceled before it finished
);

-- Which roles may act for which tenants. Administered with jobforge_grant_tenant /
-- jobforge_revoke_tenant by the owner of the JobForge tables.
CREATE TABLE jobforge_tenant_grants (
    role_name  name        NOT NULL,
    tenant_id  uuid        NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role_name, tenant_id)
);

CREATE TABLE jobforge_jobs (
    id                   uuid               PRIMARY KEY,
    seq                  bigint             GENERATED ALWAYS AS IDENTITY,
    tenant_id            uuid               NOT NULL,
    type                 text               NOT NULL,
    payload              jsonb              NOT NULL,
    idempotency_key      text,
    state                jobforge_job_state NOT NULL DEFAULT 'queued',
    priority             integer            NOT NULL DEFAULT 0,
    run_at               timestamptz        NOT NULL DEFAULT now(),
    attempts             integer            NOT NULL DEFAULT 0,
    max_attempts         integer            NOT NULL DEFAULT 5,
    backoff_base_seconds double precision   NOT NULL DEFAULT 1,
    backoff_cap_seconds  double precision   NOT NULL DEFAULT 300,
    lease_owner          text,
    lease_expires_at     timestamptz,
    last_error           jsonb,
    trace_id             text               NOT NULL,
    ordering_key         text,
    -- Set by replays only: {"now": ..., "seed": ..., "connector_responses": [...]} pins
    -- the clock and the random seed and answers connector calls from recordings.
    replay_context       jsonb,
    created_at           timestamptz        NOT NULL DEFAULT now(),
    updated_at           timestamptz        NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,
    CONSTRAINT jobforge_jobs_type_format
        CHECK (type ~ '^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$' AND length(type) <= 200),
    -- Clients and workers enforce 1 MiB of canonical JSON; this backstop refuses more than
    -- 2 MiB of jsonb text from any caller (serialising only payloads that could be that big).
    CONSTRAINT jobforge_jobs_payload_size
        CHECK (pg_column_size(payload) <= 131072 OR octet_length(payload::text) <= 2097152),
    CONSTRAINT jobforge_jobs_idempotency_key_length
        CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 512),
    CONSTRAINT jobforge_jobs_ordering_key_length
        CHECK (ordering_key IS NULL OR length(ordering_key) BETWEEN 1 AND 512),
    CONSTRAINT jobforge_jobs_trace_id_length CHECK (length(trace_id) BETWEEN 1 AND 128),
    CONSTRAINT jobforge_jobs_priority_range CHECK (priority BETWEEN -32768 AND 32767),
    CONSTRAINT jobforge_jobs_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 1000),
    CONSTRAINT jobforge_jobs_attempts_range CHECK (attempts BETWEEN 0 AND max_attempts),
    CONSTRAINT jobforge_jobs_backoff_range
        CHECK (backoff_base_seconds > 0 AND backoff_cap_seconds >= backoff_base_seconds),
    CONSTRAINT jobforge_jobs_replay_context_object
        CHECK (replay_context IS NULL OR jsonb_typeof(replay_context) = 'object'),
    CONSTRAINT jobforge_jobs_lease_when_running
        CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- Claim walks this index in claim order; finished jobs are not in it, so millions of
-- succeeded rows do not slow claim down.
CREATE INDEX jobforge_jobs_runnable_idx
    ON jobforge_jobs (priority DESC, run_at, seq)
    WHERE state IN ('queued', 'awaiting_retry');

CREATE UNIQUE INDEX jobforge_jobs_idempotency_idx
    ON jobforge_jobs (tenant_id, type, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- "Is an earlier job of this ordering key unfinished?" for FIFO ordering keys.
CREATE INDEX jobforge_jobs_ordering_idx
    ON jobforge_jobs (tenant_id, ordering_key, seq)
    WHERE ordering_key IS NOT NULL AND state IN ('queued', 'running', 'awaiting_retry');

-- Expired leases are found (and rescued inside claim) through this index.
CREATE INDEX jobforge_jobs_lease_idx
    ON jobforge_jobs (lease_expires_at)
    WHERE state = 'running';

-- Pruning finds finished jobs by age.
CREATE INDEX jobforge_jobs_finished_idx
    ON jobforge_jobs (finished_at)
    WHERE state IN ('succeeded', 'dead', 'canceled');

-- One immutable row per finished attempt: succeeded, failed (will retry) or dead.
CREATE TABLE jobforge_job_results (
    job_id          uuid        NOT NULL,
    attempt         integer     NOT NULL,
    tenant_id       uuid        NOT NULL,
    type            text        NOT NULL,
    outcome         text        NOT NULL,
    output          jsonb,
    error           jsonb,
    worker_id       text,
    trace_id        text        NOT NULL,
    started_at      timestamptz,
    finished_at     timestamptz NOT NULL DEFAULT now(),
    input_snapshot  jsonb,
    decision_trace  jsonb,
    -- The output artifact: the canonical JSON text of the output (its hash: artifact_sha256).
    artifact_canonical text,
    input_sha256    text,
    artifact_sha256 text,
    PRIMARY KEY (job_id, attempt),
    CONSTRAINT jobforge_job_results_outcome CHECK (outcome IN ('succeeded', 'failed', 'dead')),
    CONSTRAINT jobforge_job_results_output_size
        CHECK (output IS NULL OR pg_column_size(output) <= 131072
               OR octet_length(output::text) <= 2097152)
);

-- Event-to-job routes: an event fired for a tenant creates one job per matching trigger.
CREATE TABLE jobforge_triggers (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid        NOT NULL,
    name             text        NOT NULL,
    event_type       text        NOT NULL,
    job_type         text        NOT NULL,
    payload_filter   jsonb       NOT NULL DEFAULT '{}',
    payload_defaults jsonb       NOT NULL DEFAULT '{}',
    priority         integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL DEFAULT 5,
    enabled          boolean     NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name),
    CONSTRAINT jobforge_triggers_job_type_format
        CHECK (job_type ~ '^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$'),
    CONSTRAINT jobforge_triggers_filter_object CHECK (jsonb_typeof(payload_filter) = 'object'),
    CONSTRAINT jobforge_triggers_defaults_object CHECK (jsonb_typeof(payload_defaults) = 'object'),
    CONSTRAINT jobforge_triggers_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 1000)
);

CREATE INDEX jobforge_triggers_event_idx
    ON jobforge_triggers (tenant_id, event_type)
    WHERE enabled;

------------------------------------------------------------------------------------------
-- Immutability of results
------------------------------------------------------------------------------------------

CREATE FUNCTION jobforge_refuse_result_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('jobforge.pruning', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'jobforge_job_results rows are immutable: % refused', TG_OP
        USING ERRCODE = 'JF005',
              HINT = 'finished jobs and their results are removed only by jobforge_prune_finished_jobs()';
END;
$$;

CREATE TRIGGER jobforge_job_results_immutable
    BEFORE UPDATE OR DELETE ON jobforge_job_results
    FOR EACH ROW EXECUTE FUNCTION jobforge_refuse_result_change();

CREATE TRIGGER jobforge_job_results_no_truncate
    BEFORE TRUNCATE ON jobforge_job_results
    FOR EACH STATEMENT EXECUTE FUNCTION jobforge_refuse_result_change();

------------------------------------------------------------------------------------------
-- Tenants and row-level security
------------------------------------------------------------------------------------------

-- The tenants the current role (or any role it is a member of) is granted. Read through
-- the grants table's own RLS, so a role never learns another role's tenants.
CREATE FUNCTION jobforge_visible_tenants() RETURNS uuid[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(g.tenant_id), '{}')
    FROM jobforge_tenant_grants g
    WHERE g.role_name IN (
        SELECT r.rolname FROM pg_roles r WHERE pg_has_role(current_user, r.oid, 'MEMBER')
    )
$$;

ALTER TABLE jobforge_tenant_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobforge_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobforge_job_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobforge_triggers ENABLE ROW LEVEL SECURITY;

CREATE POLICY jobforge_tenant_grants_own ON jobforge_tenant_grants
    FOR SELECT
    USING (role_name IN (
        SELECT r.rolname FROM pg_roles r WHERE pg_has_role(current_user, r.oid, 'MEMBER')
    ));

-- (SELECT ...) makes the planner evaluate the tenant list once per statement, not per row.
CREATE POLICY jobforge_jobs_tenant ON jobforge_jobs
    USING (tenant_id = ANY ((SELECT jobforge_visible_tenants())::uuid[]))
    WITH CHECK (tenant_id = ANY ((SELECT jobforge_visible_tenants())::uuid[]));

-- A result may only be written for a job the role can see, of the same tenant: otherwise
-- a role could forge "attempt 1" of another tenant's job and block its real result.
CREATE POLICY jobforge_job_results_tenant ON jobforge_job_results
    USING (tenant_id = ANY ((SELECT jobforge_visible_tenants())::uuid[]))
    WITH CHECK (
        tenant_id = ANY ((SELECT jobforge_visible_tenants())::uuid[])
        AND EXISTS (
            SELECT 1 FROM jobforge_jobs j
            WHERE j.id = jobforge_job_results.job_id
              AND j.tenant_id = jobforge_job_results.tenant_id
        )
    );

CREATE POLICY jobforge_triggers_tenant ON jobforge_triggers
    USING (tenant_id = ANY ((SELECT jobforge_visible_tenants())::uuid[]))
    WITH CHECK (tenant_id = ANY ((SELECT jobforge_visible_tenants())::uuid[]));

-- Refuses, with a message naming the tenant, any tenant the current role is not granted.
-- Roles that bypass row-level security (the owner, superusers) administer every tenant.
CREATE FUNCTION jobforge_assert_tenants(p_tenant_ids uuid[]) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_denied uuid;
BEGIN
    IF NOT row_security_active('jobforge_jobs') THEN
        RETURN;
    END IF;
    SELECT t INTO v_denied
    FROM unnest(p_tenant_ids) AS t
    WHERE t IS NOT NULL AND NOT (t = ANY (jobforge_visible_tenants()))
    LIMIT 1;
    IF v_denied IS NOT NULL THEN
        RAISE EXCEPTION 'role % is not granted tenant %', current_user, v_denied
            USING ERRCODE = 'JF003';
    END IF;
END;
$$;

CREATE FUNCTION jobforge_grant_tenant(p_role name, p_tenant_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION 'role % does not exist', p_role USING ERRCODE = 'JF005';
    END IF;
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION 'tenant_id must not be null' USING ERRCODE = 'JF005';
    END IF;
    INSERT INTO jobforge_tenant_grants (role_name, tenant_id)
    VALUES (p_role, p_tenant_id)
    ON CONFLICT DO NOTHING;
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON jobforge_jobs TO %I', p_role);
    EXECUTE format('GRANT SELECT, INSERT ON jobforge_job_results TO %I', p_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON jobforge_triggers TO %I', p_role);
    EXECUTE format('GRANT SELECT ON jobforge_tenant_grants TO %I', p_role);
END;
$$;

CREATE FUNCTION jobforge_revoke_tenant(p_role name, p_tenant_id uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM jobforge_tenant_grants WHERE role_name = p_role AND tenant_id = p_tenant_id;
    RETURN FOUND;
END;
$$;

------------------------------------------------------------------------------------------
-- Retry schedule
------------------------------------------------------------------------------------------

-- Exponential backoff with "equal jitter": the delay for attempt n is
-- d = min(cap, base * 2^(n-1)), drawn uniformly from [d/2, d]. unit_random is in [0, 1).
CREATE FUNCTION jobforge_backoff_seconds(
    p_attempt integer, p_base double precision, p_cap double precision, p_unit_random double precision
) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT d * (1 + p_unit_random) / 2  -- (not d/2 + d/2*u: u near 0 would underflow)
    FROM (SELECT least(p_cap, p_base * power(2::double precision, greatest(p_attempt, 1) - 1)) AS d) s
$$;

------------------------------------------------------------------------------------------
-- Enqueue
------------------------------------------------------------------------------------------

-- Enqueues many jobs in one statement. p_jobs is a JSON array of objects with the keys
-- tenant_id, type, payload (required) and idempotency_key, priority, run_at, max_attempts,
-- ordering_key, trace_id, backoff_base_seconds, backoff_cap_seconds, replay_context
-- (optional).
-- Returns one row per input element, in input order. The same (tenant, type,
-- idempotency_key) always yields the same job; reusing a key with another payload raises JF001.
CREATE FUNCTION jobforge_enqueue_jobs(p_jobs jsonb)
RETURNS TABLE (job_index integer, job_id uuid, created boolean, state jobforge_job_state, trace_id text)
LANGUAGE plpgsql AS $$
DECLARE
    v_ids        uuid[];
    v_keyed      boolean;
    v_runnable   boolean;
    v_conflict   record;
    -- Job ids are version 7 UUIDs (RFC 9562): 48 bits of Unix milliseconds, then random
    -- bits. Ids that grow with time keep primary-key inserts at the right edge of the
    -- index instead of on random pages, which matters once the table holds millions.
    v_time_prefix bytea := substring(
        int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3);
BEGIN
    IF p_jobs IS NULL OR jsonb_typeof(p_jobs) <> 'array' THEN
        RAISE EXCEPTION 'jobs must be a JSON array of job objects' USING ERRCODE = 'JF005';
    END IF;
    IF jsonb_array_length(p_jobs) = 0 THEN
        RETURN;
    END IF;
    IF row_security_active('jobforge_jobs') THEN
        PERFORM jobforge_assert_tenants(ARRAY(
            SELECT DISTINCT (e.doc ->> 'tenant_id')::uuid FROM jsonb_array_elements(p_jobs) e(doc)));
    END IF;

    -- One pass: an id per job, whether any job has an idempotency key, whether any job is
    -- runnable now (then workers are notified).
    SELECT array_agg(encode(set_bit(set_bit(
               overlay(uuid_send(gen_random_uuid()) PLACING v_time_prefix FROM 1 FOR 6),
               52, 1), 53, 1), 'hex')::uuid ORDER BY r.ord),
           bool_or(r.idempotency_key IS NOT NULL),
           bool_or(r.run_at IS NULL OR r.run_at <= now())
    INTO v_ids, v_keyed, v_runnable
    FROM ROWS FROM (jsonb_to_recordset(p_jobs) AS (idempotency_key text, run_at timestamptz))
         WITH ORDINALITY AS r(idempotency_key, run_at, ord);

    -- Two clients enqueueing overlapping keys in different orders would wait on each
    -- other's unique-index entries in opposite orders and deadlock. Taking a transaction
    -- lock per key, in one global order, first makes them queue up instead.
    IF v_keyed THEN
        PERFORM pg_advisory_xact_lock(k.lock_key)
        FROM (
            SELECT DISTINCT hashtextextended(
                (e.doc ->> 'tenant_id') || '/' || (e.doc ->> 'type') || '/'
                    || (e.doc ->> 'idempotency_key'), 0) AS lock_key
            FROM jsonb_array_elements(p_jobs) AS e(doc)
            WHERE e.doc ? 'idempotency_key'
            ORDER BY 1
        ) AS k;
    END IF;

    INSERT INTO jobforge_jobs AS j (
        id, tenant_id, type, payload, idempotency_key, priority, run_at, max_attempts,
        ordering_key, trace_id, backoff_base_seconds, backoff_cap_seconds, replay_context
    )
    SELECT
        v_ids[r.ord], r.tenant_id, r.type, r.payload, r.idempotency_key,
        coalesce(r.priority, 0), coalesce(r.run_at, now()), coalesce(r.max_attempts, 5),
        r.ordering_key, coalesce(r.trace_id, encode(uuid_send(v_ids[r.ord]), 'hex')),
        coalesce(r.backoff_base_seconds, 1), coalesce(r.backoff_cap_seconds, 300),
        r.replay_context
    -- One set-returning call parses every job (faster than a jsonb_to_record per element).
    FROM ROWS FROM (jsonb_to_recordset(p_jobs) AS (
             tenant_id uuid, type text, payload jsonb, idempotency_key text, priority integer,
             run_at timestamptz, max_attempts integer, ordering_key text, trace_id text,
             backoff_base_seconds double precision, backoff_cap_seconds double precision,
             replay_context jsonb)) WITH ORDINALITY AS r(
             tenant_id, type, payload, idempotency_key, priority, run_at, max_attempts,
             ordering_key, trace_id, backoff_base_seconds, backoff_cap_seconds,
             replay_context, ord)
    ORDER BY r.ord  -- seq follows input order: FIFO within an ordering key
    ON CONFLICT (tenant_id, type, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;

    IF v_runnable THEN
        PERFORM pg_notify('jobforge_jobs', '');
    END IF;

    IF NOT v_keyed THEN
        RETURN QUERY
        SELECT (r.ord - 1)::integer, v_ids[r.ord], true, 'queued'::jobforge_job_state,
               coalesce(r.trace_id, encode(uuid_send(v_ids[r.ord]), 'hex'))
        FROM ROWS FROM (jsonb_to_recordset(p_jobs) AS (trace_id text))
             WITH ORDINALITY AS r(trace_id, ord)
        ORDER BY r.ord;
        RETURN;
    END IF;

    -- Keyed jobs that were not inserted already exist (perhaps inserted a moment ago by a
    -- concurrent client: this statement's fresh snapshot sees it). Their payload must match.
    SELECT e.ord - 1 AS job_index, j.id, e.doc ->> 'idempotency_key' AS idempotency_key
    INTO v_conflict
    FROM jsonb_array_elements(p_jobs) WITH ORDINALITY AS e(doc, ord)
    JOIN jobforge_jobs j
      ON j.tenant_id = (e.doc ->> 'tenant_id')::uuid
     AND j.type = e.doc ->> 'type'
     AND j.idempotency_key = e.doc ->> 'idempotency_key'
    WHERE e.doc ? 'idempotency_key'
      AND j.payload IS DISTINCT FROM e.doc -> 'payload'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'idempotency key % is already used by job % with a different payload',
            v_conflict.idempotency_key, v_conflict.id
            USING ERRCODE = 'JF001',
                  DETAIL = format('job_index=%s job_id=%s', v_conflict.job_index, v_conflict.id);
    END IF;

    RETURN QUERY
    SELECT (e.ord - 1)::integer,
           coalesce(j.id, v_ids[e.ord]),
           j.id IS NULL OR j.id = v_ids[e.ord],
           coalesce(j.state, 'queued'::jobforge_job_state),
           coalesce(j.trace_id, e.doc ->> 'trace_id', encode(uuid_send(v_ids[e.ord]), 'hex'))
    FROM jsonb_array_elements(p_jobs) WITH ORDINALITY AS e(doc, ord)
    LEFT JOIN jobforge_jobs j
      ON e.doc ? 'idempotency_key'
     AND j.tenant_id = (e.doc ->> 'tenant_id')::uuid
     AND j.type = e.doc ->> 'type'
     AND j.idempotency_key = e.doc ->> 'idempotency_key'
    ORDER BY e.ord;
END;
$$;

CREATE FUNCTION jobforge_enqueue_job(
    p_tenant_id uuid,
    p_type text,
    p_payload jsonb,
    p_idempotency_key text DEFAULT NULL,
    p_priority integer DEFAULT 0,
    p_run_at timestamptz DEFAULT NULL,
    p_max_attempts integer DEFAULT 5,
    p_ordering_key text DEFAULT NULL,
    p_trace_id text DEFAULT NULL
)
RETURNS TABLE (job_id uuid, created boolean, state jobforge_job_state, trace_id text)
LANGUAGE sql AS $$
    SELECT r.job_id, r.created, r.state, r.trace_id
    FROM jobforge_enqueue_jobs(jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
        'tenant_id', p_tenant_id, 'type', p_type, 'idempotency_key', p_idempotency_key,
        'priority', p_priority, 'run_at', p_run_at, 'max_attempts', p_max_attempts,
        'ordering_key', p_ordering_key, 'trace_id', p_trace_id
    )) || jsonb_build_object('payload', p_payload))) AS r
$$;

------------------------------------------------------------------------------------------
-- Claim, heartbeat, complete, fail, cancel
------------------------------------------------------------------------------------------

-- Moves running jobs whose lease expired (their worker died or stalled) back to
-- awaiting_retry, or to dead when that was their last attempt, recording the lost attempt.
-- Called inside every claim, so no cron job is needed.
CREATE FUNCTION jobforge_rescue_expired_leases() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_rescued integer;
BEGIN
    WITH expired AS (
        SELECT j.id
        FROM jobforge_jobs j
        WHERE j.state = 'running' AND j.lease_expires_at < now()
        ORDER BY j.lease_expires_at
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    ),
    rescued AS (
        UPDATE jobforge_jobs j
        SET state = CASE WHEN j.attempts >= j.max_attempts
                         THEN 'dead'::jobforge_job_state ELSE 'awaiting_retry' END,
            run_at = now(),
            finished_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END,
            last_error = jsonb_build_object(
                'kind', 'lease_expired',
                'message', format('lease held by %s expired at %s', j.lease_owner, j.lease_expires_at)),
            lease_owner = NULL,
            lease_expires_at = NULL,
            updated_at = now()
        FROM expired e
        WHERE j.id = e.id
        RETURNING j.id, j.attempts, j.tenant_id, j.type, j.state, j.last_error, j.trace_id, j.started_at
    ),
    recorded AS (
        INSERT INTO jobforge_job_results
            (job_id, attempt, tenant_id, type, outcome, error, trace_id, started_at)
        SELECT r.id, r.attempts, r.tenant_id, r.type,
               CASE WHEN r.state = 'dead' THEN 'dead' ELSE 'failed' END,
               r.last_error, r.trace_id, r.started_at
        FROM rescued r
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_rescued FROM recorded;
    RETURN v_rescued;
END;
$$;

-- Claims up to p_limit runnable jobs for p_worker_id, taking a lease of p_lease_seconds.
-- Order: priority (high first), then run_at, then enqueue order. A job with an ordering
-- key is not claimed while an earlier job of the same tenant and key is unfinished, so a
-- batch holds at most the first runnable job of each key.
CREATE FUNCTION jobforge_claim_jobs(
    p_worker_id text,
    p_limit integer,
    p_lease_seconds double precision DEFAULT 30,
    p_job_types text[] DEFAULT NULL
)
RETURNS SETOF jobforge_jobs
LANGUAGE plpgsql
-- Claim must walk jobforge_jobs_runnable_idx in order and stop after p_limit rows. Row
-- estimates for a queue table are always stale, and a plan that sorts every runnable
-- job would make each claim O(queue length); forbidding sorts keeps the index walk.
SET enable_sort = off
AS $$
BEGIN
    IF p_worker_id IS NULL OR length(p_worker_id) = 0 THEN
        RAISE EXCEPTION 'worker_id must not be empty' USING ERRCODE = 'JF005';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 10000, got %', p_limit USING ERRCODE = 'JF005';
    END IF;
    IF p_lease_seconds IS NULL OR p_lease_seconds <= 0 THEN
        RAISE EXCEPTION 'lease_seconds must be positive, got %', p_lease_seconds
            USING ERRCODE = 'JF005';
    END IF;

    PERFORM jobforge_rescue_expired_leases();

    RETURN QUERY
    WITH candidates AS (
        SELECT j.id
        FROM jobforge_jobs j
        WHERE j.state IN ('queued', 'awaiting_retry')
          AND j.run_at <= now()
          AND (p_job_types IS NULL OR j.type = ANY (p_job_types))
          AND (j.ordering_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM jobforge_jobs earlier
                WHERE earlier.tenant_id = j.tenant_id
                  AND earlier.ordering_key = j.ordering_key
                  AND earlier.seq < j.seq
                  AND earlier.state IN ('queued', 'running', 'awaiting_retry')))
        ORDER BY j.priority DESC, j.run_at, j.seq
        LIMIT p_limit
        FOR UPDATE OF j SKIP LOCKED
    )
    UPDATE jobforge_jobs j
    SET state = 'running',
        attempts = j.attempts + 1,
        lease_owner = p_worker_id,
        lease_expires_at = now() + make_interval(secs => p_lease_seconds),
        started_at = now(),
        updated_at = now()
    FROM candidates c
    WHERE j.id = c.id
    RETURNING j.*;
END;
$$;

-- Extends the leases p_worker_id holds; returns the ids it still holds (a missing id
-- means the lease was lost: the job was rescued, canceled or finished elsewhere).
CREATE FUNCTION jobforge_heartbeat(
    p_worker_id text, p_job_ids uuid[], p_lease_seconds double precision DEFAULT 30
)
RETURNS SETOF uuid
LANGUAGE sql AS $$
    UPDATE jobforge_jobs j
    SET lease_expires_at = now() + make_interval(secs => p_lease_seconds)
    WHERE j.id = ANY (p_job_ids)
      AND j.state = 'running'
      AND j.lease_owner = p_worker_id
    RETURNING j.id
$$;

-- Records successful attempts. p_results is a JSON array of objects with job_id, attempt,
-- output and optionally started_at, input_snapshot, decision_trace, artifact_canonical,
-- input_sha256, artifact_sha256. A result is accepted only while the job is running
-- under p_worker_id with that attempt number; otherwise nothing is written for it (the
-- lease was lost and a newer attempt owns the job). Returns the ids of accepted results.
CREATE FUNCTION jobforge_complete_jobs(p_worker_id text, p_results jsonb)
RETURNS SETOF uuid
LANGUAGE sql AS $$
    WITH input AS (
        -- The output may come as a value, or only as its canonical text (the worker's way).
        SELECT r.*, coalesce(e.doc -> 'output', (e.doc ->> 'artifact_canonical')::jsonb) AS output,
               e.doc -> 'input_snapshot' AS input_snapshot,
               e.doc -> 'decision_trace' AS decision_trace,
               e.doc ->> 'artifact_canonical' AS artifact_canonical
        FROM jsonb_array_elements(p_results) AS e(doc),
             LATERAL jsonb_to_record(e.doc) AS r(
                 job_id uuid, attempt integer, started_at timestamptz,
                 input_sha256 text, artifact_sha256 text)
    ),
    done AS (
        -- RETURNING carries the input columns along, so no join between CTEs is needed
        -- (the planner cannot estimate their sizes and would pick a nested loop).
        UPDATE jobforge_jobs j
        SET state = 'succeeded',
            finished_at = now(),
            updated_at = now(),
            lease_owner = NULL,
            lease_expires_at = NULL,
            last_error = NULL
        FROM input i
        WHERE j.id = i.job_id
          AND j.state = 'running'
          AND j.attempts = i.attempt
          AND j.lease_owner = p_worker_id
        RETURNING j.id, j.tenant_id, j.type, j.trace_id, j.attempts,
                  coalesce(i.started_at, j.started_at) AS started_at, i.output,
                  i.input_snapshot, i.decision_trace, i.artifact_canonical, i.input_sha256,
                  i.artifact_sha256
    )
    INSERT INTO jobforge_job_results (
        job_id, attempt, tenant_id, type, outcome, output, worker_id, trace_id,
        started_at, input_snapshot, decision_trace, artifact_canonical,
        input_sha256, artifact_sha256)
    SELECT d.id, d.attempts, d.tenant_id, d.type, 'succeeded', d.output, p_worker_id,
           d.trace_id, d.started_at, d.input_snapshot, d.decision_trace, d.artifact_canonical,
           d.input_sha256, d.artifact_sha256
    FROM done d
    RETURNING job_id
$$;

-- Records failed attempts. p_failures is a JSON array of objects with job_id, attempt,
-- error (a JSON object, e.g. {"kind": "exception", "message": "..."}), and optionally
-- retryable (default true), retry_in_seconds (overrides the backoff schedule), started_at
-- and the determinism records. A retryable failure before the last attempt moves the job
-- to awaiting_retry at now() + backoff; otherwise the job is dead (dead-lettered), its
-- last error kept. Returns the accepted failures with the job's new state and run_at.
CREATE FUNCTION jobforge_fail_jobs(p_worker_id text, p_failures jsonb)
RETURNS TABLE (job_id uuid, state jobforge_job_state, run_at timestamptz)
LANGUAGE sql AS $$
    WITH input AS (
        SELECT r.*, e.doc -> 'error' AS error,
               e.doc -> 'input_snapshot' AS input_snapshot,
               e.doc -> 'decision_trace' AS decision_trace,
               coalesce((e.doc ->> 'retryable')::boolean, true) AS retryable
        FROM jsonb_array_elements(p_failures) AS e(doc),
             LATERAL jsonb_to_record(e.doc) AS r(
                 job_id uuid, attempt integer, retry_in_seconds double precision,
                 started_at timestamptz, input_sha256 text)
    ),
    failed AS (
        UPDATE jobforge_jobs j
        SET state = CASE WHEN i.retryable AND j.attempts < j.max_attempts
                         THEN 'awaiting_retry'::jobforge_job_state ELSE 'dead' END,
            run_at = CASE WHEN i.retryable AND j.attempts < j.max_attempts
                          THEN now() + make_interval(secs => coalesce(
                              i.retry_in_seconds,
                              jobforge_backoff_seconds(j.attempts, j.backoff_base_seconds,
                                                       j.backoff_cap_seconds, random())))
                          ELSE j.run_at END,
            finished_at = CASE WHEN i.retryable AND j.attempts < j.max_attempts
                               THEN NULL ELSE now() END,
            last_error = i.error,
            lease_owner = NULL,
            lease_expires_at = NULL,
            updated_at = now()
        FROM input i
        WHERE j.id = i.job_id
          AND j.state = 'running'
          AND j.attempts = i.attempt
          AND j.lease_owner = p_worker_id
        RETURNING j.id, j.tenant_id, j.type, j.trace_id, j.attempts, j.state, j.run_at,
                  coalesce(i.started_at, j.started_at) AS started_at, i.error,
                  i.input_snapshot, i.decision_trace, i.input_sha256
    ),
    recorded AS (
        INSERT INTO jobforge_job_results (
            job_id, attempt, tenant_id, type, outcome, error, worker_id, trace_id,
            started_at, input_snapshot, decision_trace, input_sha256)
        SELECT f.id, f.attempts, f.tenant_id, f.type,
               CASE WHEN f.state = 'dead' THEN 'dead' ELSE 'failed' END,
               f.error, p_worker_id, f.trace_id, f.started_at,
               f.input_snapshot, f.decision_trace, f.input_sha256
        FROM failed f
    )
    SELECT f.id, f.state, f.run_at FROM failed f
$$;

-- Gives jobs back without counting the attempt: used by a worker that stops before it
-- could run them (shutdown). p_jobs is a JSON array of {job_id, attempt}. Returns the ids
-- given back; a job whose lease the worker no longer holds is left alone.
CREATE FUNCTION jobforge_release_jobs(p_worker_id text, p_jobs jsonb)
RETURNS SETOF uuid
LANGUAGE sql AS $$
    UPDATE jobforge_jobs j
    SET state = CASE WHEN j.attempts > 1 THEN 'awaiting_retry'::jobforge_job_state
                     ELSE 'queued' END,
        attempts = j.attempts - 1,
        run_at = now(),
        lease_owner = NULL,
        lease_expires_at = NULL,
        started_at = NULL,
        updated_at = now()
    FROM jsonb_to_recordset(p_jobs) AS r(job_id uuid, attempt integer)
    WHERE j.id = r.job_id
      AND j.state = 'running'
      AND j.attempts = r.attempt
      AND j.lease_owner = p_worker_id
    RETURNING j.id
$$;

CREATE FUNCTION jobforge_complete_job(
    p_worker_id text, p_job_id uuid, p_attempt integer, p_output jsonb
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM FROM jobforge_complete_jobs(p_worker_id, jsonb_build_array(
        jsonb_build_object('job_id', p_job_id, 'attempt', p_attempt, 'output', p_output)));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % attempt % is not running under worker %: its lease was lost',
            p_job_id, p_attempt, p_worker_id USING ERRCODE = 'JF002';
    END IF;
END;
$$;

CREATE FUNCTION jobforge_fail_job(
    p_worker_id text, p_job_id uuid, p_attempt integer, p_error jsonb,
    p_retryable boolean DEFAULT true
) RETURNS jobforge_job_state
LANGUAGE plpgsql AS $$
DECLARE
    v_result record;
BEGIN
    SELECT * INTO v_result FROM jobforge_fail_jobs(p_worker_id, jsonb_build_array(
        jsonb_build_object('job_id', p_job_id, 'attempt', p_attempt, 'error', p_error,
                           'retryable', p_retryable)));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % attempt % is not running under worker %: its lease was lost',
            p_job_id, p_attempt, p_worker_id USING ERRCODE = 'JF002';
    END IF;
    RETURN v_result.state;
END;
$$;

-- The job as it stands (a state change that did not apply leaves it so), or JF004.
CREATE FUNCTION jobforge_job_as_it_stands(p_job_id uuid) RETURNS SETOF jobforge_jobs
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT * FROM jobforge_jobs j WHERE j.id = p_job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_job_id USING ERRCODE = 'JF004';
    END IF;
END;
$$;

-- Cancels a job that has not finished. A running job is canceled at once: its running
-- attempt's result will be refused when it arrives. Returns the job as it now stands;
-- a finished job is returned unchanged.
CREATE FUNCTION jobforge_cancel_job(p_job_id uuid) RETURNS SETOF jobforge_jobs
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    UPDATE jobforge_jobs j
    SET state = 'canceled', finished_at = now(), updated_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
    WHERE j.id = p_job_id AND j.state IN ('queued', 'running', 'awaiting_retry')
    RETURNING j.*;
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM jobforge_job_as_it_stands(p_job_id);
    END IF;
END;
$$;

-- Runs a dead or canceled job again (after fixing what killed it), with p_extra_attempts
-- more attempts. Attempt numbers keep counting up, so every attempt's result stays on
-- record. Returns the job as it now stands; an unfinished or succeeded job is unchanged.
CREATE FUNCTION jobforge_requeue_job(p_job_id uuid, p_extra_attempts integer DEFAULT 1)
RETURNS SETOF jobforge_jobs
LANGUAGE plpgsql AS $$
BEGIN
    IF p_extra_attempts IS NULL OR p_extra_attempts < 1 THEN
        RAISE EXCEPTION 'extra_attempts must be at least 1, got %', p_extra_attempts
            USING ERRCODE = 'JF005';
    END IF;
    RETURN QUERY
    UPDATE jobforge_jobs j
    SET state = CASE WHEN j.attempts = 0 THEN 'queued'::jobforge_job_state
                     ELSE 'awaiting_retry' END,
        max_attempts = least(j.attempts + p_extra_attempts, 1000),
        run_at = now(), finished_at = NULL, updated_at = now()
    WHERE j.id = p_job_id AND j.state IN ('dead', 'canceled') AND j.attempts < 1000
    RETURNING j.*;
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM jobforge_job_as_it_stands(p_job_id);
    END IF;
END;
$$;

------------------------------------------------------------------------------------------
-- Events
------------------------------------------------------------------------------------------

-- Fires an event for a tenant: every enabled trigger of that tenant whose event_type
-- matches and whose payload_filter is contained in the event payload creates one job,
-- with payload = payload_defaults || event payload. With an idempotency key, firing the
-- same event twice creates the jobs once.
CREATE FUNCTION jobforge_fire_event(
    p_tenant_id uuid,
    p_event_type text,
    p_payload jsonb,
    p_idempotency_key text DEFAULT NULL,
    p_trace_id text DEFAULT NULL
)
RETURNS TABLE (trigger_id uuid, job_id uuid, created boolean, job_type text)
LANGUAGE plpgsql AS $$
DECLARE
    v_trace_id text := coalesce(p_trace_id, replace(gen_random_uuid()::text, '-', ''));
    v_triggers uuid[];
    v_jobs     jsonb;
BEGIN
    IF p_payload IS NULL OR jsonb_typeof(p_payload) <> 'object' THEN
        RAISE EXCEPTION 'event payload must be a JSON object' USING ERRCODE = 'JF005';
    END IF;
    PERFORM jobforge_assert_tenants(ARRAY[p_tenant_id]);

    SELECT array_agg(t.id ORDER BY t.name),
           jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'tenant_id', p_tenant_id,
               'type', t.job_type,
               'priority', t.priority,
               'max_attempts', t.max_attempts,
               'trace_id', v_trace_id,
               'idempotency_key', CASE WHEN p_idempotency_key IS NOT NULL
                   THEN format('event:%s:%s:%s', p_event_type, p_idempotency_key, t.id) END))
               || jsonb_build_object('payload', t.payload_defaults || p_payload)
               ORDER BY t.name)
    INTO v_triggers, v_jobs
    FROM jobforge_triggers t
    WHERE t.tenant_id = p_tenant_id
      AND t.event_type = p_event_type
      AND t.enabled
      AND p_payload @> t.payload_filter;

    IF v_jobs IS NULL THEN
        RETURN;
    END IF;

    RETURN QUERY
    SELECT v_triggers[e.job_index + 1], e.job_id, e.created, (v_jobs -> e.job_index) ->> 'type'
    FROM jobforge_enqueue_jobs(v_jobs) e
    ORDER BY e.job_index;
END;
$$;

------------------------------------------------------------------------------------------
-- Maintenance
------------------------------------------------------------------------------------------

-- Deletes up to p_limit jobs that finished before now() - p_older_than, with their
-- results: the supported way results are removed. Owner only (the owner, who can also
-- disable triggers, is trusted; the immutability trigger guards against everyone else).
CREATE FUNCTION jobforge_prune_finished_jobs(p_older_than interval, p_limit integer DEFAULT 10000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_pruned integer;
BEGIN
    PERFORM set_config('jobforge.pruning', 'on', true);
    WITH doomed AS (
        SELECT j.id FROM jobforge_jobs j
        WHERE j.state IN ('succeeded', 'dead', 'canceled')
          AND j.finished_at < now() - p_older_than
        ORDER BY j.finished_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ),
    results_gone AS (
        DELETE FROM jobforge_job_results r USING doomed d WHERE r.job_id = d.id
    ),
    jobs_gone AS (
        DELETE FROM jobforge_jobs j USING doomed d WHERE j.id = d.id RETURNING 1
    )
    SELECT count(*) INTO v_pruned FROM jobs_gone;
    PERFORM set_config('jobforge.pruning', 'off', true);
    RETURN v_pruned;
END;
$$;

-- Counts of jobs per tenant, type and state, for dashboards and the CLI.
CREATE FUNCTION jobforge_queue_stats()
RETURNS TABLE (tenant_id uuid, type text, state jobforge_job_state, jobs bigint)
LANGUAGE sql STABLE AS $$
    SELECT j.tenant_id, j.type, j.state, count(*)
    FROM jobforge_jobs j
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
$$;

REVOKE EXECUTE ON FUNCTION jobforge_grant_tenant(name, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobforge_revoke_tenant(name, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobforge_prune_finished_jobs(interval, integer) FROM PUBLIC;
