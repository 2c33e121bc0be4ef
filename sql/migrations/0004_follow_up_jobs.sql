-- JobForge router, version 4: follow-up jobs, enqueued by the attempt that asks for them in
-- the transaction that completes it.
--
-- * A handler asks for follow-ups with ctx.follow_up(...); the worker sends them with the
--   attempt's result to jobforge_complete_jobs_with_follow_ups, which inserts them and
--   completes the attempt in one statement. A crash never leaves a completed parent
--   without its follow-ups, and a failed attempt (or one whose lease was lost) has none.
-- * A follow-up takes its tenant and trace id from its parent's row, never from the
--   caller, and records the parent in jobforge_jobs.parent_job_id. It is inserted only for
--   an attempt the calling worker holds (running, under its worker id, with that attempt
--   number) of a tenant it holds a worker grant for: the attempt guard of complete.
-- * No producer grant is needed: the worker already runs the tenant's code with the
--   tenant's payloads, and it can make nothing here that the tenant's own producer could
--   not (same tenant, the tenant's own payload limits, its own idempotency keys).
-- * Every follow-up carries an idempotency key (the worker derives one from the parent job
--   and the follow-up's index when the handler gives none): a re-sent completion never
--   duplicates one, and a key shared by two parents makes one job.
-- * The parent's result row records its follow-ups (jobforge_job_results.follow_ups): the
--   job each one created or found. A replay (a job with a replay_context) enqueues none;
--   its result records them with their payloads, for golden replay to judge.
-- * jobforge_complete_jobs is unchanged: attempts without follow-ups pay nothing.

ALTER TABLE jobforge.jobforge_jobs ADD COLUMN parent_job_id uuid;

-- The follow-ups of a job (only jobs that have a parent are in it).
CREATE INDEX jobforge_jobs_parent_idx
    ON jobforge.jobforge_jobs (parent_job_id)
    WHERE parent_job_id IS NOT NULL;

-- One element per follow-up the attempt asked for, in the order asked: index, type,
-- idempotency_key, run_at, priority, max_attempts, payload_sha256, and job_id and created
-- (whether this attempt created the job or found it) or, for a replay, the payload.
ALTER TABLE jobforge.jobforge_job_results ADD COLUMN follow_ups jsonb;

------------------------------------------------------------------------------------------
-- Completing attempts with their follow-ups (workers)
------------------------------------------------------------------------------------------

-- What is wrong with the follow-up lists of p_results, naming the first bad spot; NULL
-- when every list is an array of at most 1000 follow-up objects, each with a job type, a
-- payload, an idempotency key and optional run_at, priority, max_attempts and
-- payload_sha256 of the right JSON types. (Values are checked where they are used: the
-- job type, key length, ranges and payload limits by jobforge_jobs' constraints and
-- payload trigger, timestamps and integers by their casts.)
CREATE FUNCTION jobforge.jobforge_follow_up_problem(p_results jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    WITH results AS (
        SELECT r.ord - 1 AS result_index, r.doc
        FROM jsonb_array_elements(p_results) WITH ORDINALITY AS r(doc, ord)
    ),
    lists AS (
        SELECT r.result_index, r.doc -> 'follow_ups' AS list
        FROM results r
        WHERE jsonb_typeof(r.doc) = 'object' AND r.doc ? 'follow_ups'
    ),
    bad_lists AS (
        SELECT format('results[%s].follow_ups: expected an array of at most 1000 follow-up '
                      'objects, got %s', l.result_index,
                      CASE WHEN jsonb_typeof(l.list) = 'array'
                           THEN format('%s of them', jsonb_array_length(l.list))
                           ELSE jsonb_typeof(l.list) END) AS problem,
               l.result_index, 0 AS follow_up_index
        FROM lists l
        WHERE CASE WHEN jsonb_typeof(l.list) = 'array' THEN jsonb_array_length(l.list) > 1000
                   ELSE true END
    ),
    checked_follow_ups AS (
        SELECT l.result_index, f.ord AS follow_up_index, CASE
                   WHEN jsonb_typeof(f.doc) <> 'object' THEN 'expected an object'
                   WHEN jsonb_typeof(f.doc -> 'type') IS DISTINCT FROM 'string'
                       THEN 'type: expected a job type such as ''billing.send'''
                   WHEN NOT f.doc ? 'payload' THEN 'payload: expected a JSON value'
                   WHEN jsonb_typeof(f.doc -> 'idempotency_key') IS DISTINCT FROM 'string'
                       THEN 'idempotency_key: expected a string'
                   WHEN coalesce(jsonb_typeof(f.doc -> 'run_at'), 'null') NOT IN ('string', 'null')
                       THEN 'run_at: expected a timestamp with a time zone'
                   WHEN coalesce(jsonb_typeof(f.doc -> 'priority'), 'null') NOT IN ('number', 'null')
                       THEN 'priority: expected an integer'
                   WHEN coalesce(jsonb_typeof(f.doc -> 'max_attempts'), 'null') NOT IN ('number', 'null')
                       THEN 'max_attempts: expected an integer'
                   WHEN coalesce(jsonb_typeof(f.doc -> 'payload_sha256'), 'null') NOT IN ('string', 'null')
                       THEN 'payload_sha256: expected a string'
               END AS reason
        FROM lists l,
             LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(l.list) = 'array'
                                               AND jsonb_array_length(l.list) <= 1000
                                               THEN l.list ELSE '[]' END)
                 WITH ORDINALITY AS f(doc, ord)
    ),
    bad_follow_ups AS (
        SELECT format('results[%s].follow_ups[%s]: %s', c.result_index, c.follow_up_index - 1,
                      c.reason) AS problem,
               c.result_index, c.follow_up_index
        FROM checked_follow_ups c
        WHERE c.reason IS NOT NULL
    )
    SELECT problem FROM (
        SELECT * FROM bad_lists
        UNION ALL
        SELECT * FROM bad_follow_ups
    ) AS found
    ORDER BY result_index, follow_up_index
    LIMIT 1
$$;

-- Records successful attempts as jobforge_complete_jobs does, and enqueues the follow-up
-- jobs each asks for, in one statement. p_results is complete_jobs' JSON array, whose
-- objects may also hold "follow_ups": an array of {type, payload, idempotency_key, run_at,
-- priority, max_attempts, payload_sha256}. Follow-ups are enqueued only for attempts the
-- calling worker holds (the guard of complete), for the parent's tenant, with the parent's
-- trace id and the parent as parent_job_id; a follow-up whose key already names a job of
-- that tenant and type finds that job (another payload under the key raises JF001).
-- Attempts of replays (jobs with a replay_context) enqueue nothing: their results record
-- the follow-ups instead. Returns the ids of accepted results.
CREATE FUNCTION jobforge.jobforge_complete_jobs_with_follow_ups(p_worker_id text, p_results jsonb)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed   uuid[] := jobforge.jobforge_caller_tenants('worker');
    v_problem   text;
    v_held      uuid[];
    v_requested jsonb;
    v_inserted  uuid[];
    v_runnable  boolean;
    v_conflict  record;
    v_recorded  jsonb;
    v_time_prefix bytea := substring(
        int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3);
BEGIN
    IF p_results IS NULL OR jsonb_typeof(p_results) <> 'array' THEN
        RAISE EXCEPTION 'results must be a JSON array of result objects' USING ERRCODE = 'JF005';
    END IF;
    v_problem := jobforge.jobforge_follow_up_problem(p_results);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '%', v_problem USING ERRCODE = 'JF005';
    END IF;
    IF (SELECT count(e.doc ->> 'job_id') <> count(DISTINCT (e.doc ->> 'job_id')::uuid)
        FROM jsonb_array_elements(p_results) AS e(doc)) THEN
        RAISE EXCEPTION 'results: each job may appear once' USING ERRCODE = 'JF005';
    END IF;

    -- The attempts asking for follow-ups that this worker holds, locked (in one order)
    -- until the transaction ends: nothing can take them between this check and complete.
    SELECT coalesce(array_agg(held.id), '{}') INTO v_held
    FROM (
        SELECT j.id
        FROM jsonb_array_elements(p_results) AS e(doc)
        JOIN jobforge.jobforge_jobs j
          ON j.id = (e.doc ->> 'job_id')::uuid AND j.attempts = (e.doc ->> 'attempt')::integer
        WHERE jsonb_array_length(coalesce(e.doc -> 'follow_ups', '[]')) > 0
          AND j.state = 'running'
          AND j.lease_owner = p_worker_id
          AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
        ORDER BY j.id
        FOR UPDATE OF j
    ) AS held;

    -- One element per follow-up of a held attempt: what to insert (tenant, trace and
    -- parent from the parent's row) and where it came from (for messages and the record).
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'index', f.ord - 1,
               'parent_id', j.id,
               'replay', j.replay_context IS NOT NULL,
               'tenant_id', j.tenant_id,
               'trace_id', j.trace_id,
               'type', f.doc -> 'type',
               'payload', f.doc -> 'payload',
               'idempotency_key', f.doc -> 'idempotency_key',
               'run_at', f.doc -> 'run_at',
               'priority', f.doc -> 'priority',
               'max_attempts', f.doc -> 'max_attempts',
               'payload_sha256', f.doc -> 'payload_sha256')
               ORDER BY r.ord, f.ord), '[]')
    INTO v_requested
    FROM jsonb_array_elements(p_results) WITH ORDINALITY AS r(doc, ord)
    JOIN jobforge.jobforge_jobs j ON j.id = (r.doc ->> 'job_id')::uuid AND j.id = ANY (v_held),
         LATERAL jsonb_array_elements(r.doc -> 'follow_ups') WITH ORDINALITY AS f(doc, ord);

    -- Keys in one global order, as enqueue takes them (the same lock keys): two
    -- completions sharing keys queue up instead of deadlocking.
    PERFORM pg_advisory_xact_lock(k.lock_key)
    FROM (
        SELECT DISTINCT hashtextextended(
            (e.doc ->> 'tenant_id') || '/' || (e.doc ->> 'type') || '/'
                || (e.doc ->> 'idempotency_key'), 0) AS lock_key
        FROM jsonb_array_elements(v_requested) AS e(doc)
        WHERE NOT (e.doc -> 'replay')::boolean
        ORDER BY 1
    ) AS k;

    WITH inserted AS (
        INSERT INTO jobforge.jobforge_jobs AS j (
            id, tenant_id, type, payload, idempotency_key, priority, run_at, max_attempts,
            trace_id, parent_job_id
        )
        SELECT
            encode(set_bit(set_bit(
                overlay(uuid_send(gen_random_uuid()) PLACING v_time_prefix FROM 1 FOR 6),
                52, 1), 53, 1), 'hex')::uuid,
            r.tenant_id, r.type, r.payload, r.idempotency_key, coalesce(r.priority, 0),
            coalesce(r.run_at, now()), coalesce(r.max_attempts, 5), r.trace_id, r.parent_id
        FROM ROWS FROM (jsonb_to_recordset(v_requested) AS (
                 replay boolean, tenant_id uuid, type text, payload jsonb, idempotency_key text,
                 priority integer, run_at timestamptz, max_attempts integer, trace_id text,
                 parent_id uuid)) WITH ORDINALITY AS r(
                 replay, tenant_id, type, payload, idempotency_key, priority, run_at,
                 max_attempts, trace_id, parent_id, ord)
        WHERE NOT r.replay
        ORDER BY r.ord  -- seq follows the order asked
        ON CONFLICT (tenant_id, type, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING j.id
    )
    SELECT coalesce(array_agg(inserted.id), '{}') INTO v_inserted FROM inserted;

    -- Every key now names a job (this statement's fresh snapshot sees those inserted above
    -- and by others); its payload must be the one asked for. Only the parent's tenant is
    -- looked at, so nothing of another tenant can be found or named.
    SELECT r.doc ->> 'parent_id' AS parent_id, r.doc ->> 'index' AS follow_up_index,
           r.doc ->> 'type' AS type, r.doc ->> 'idempotency_key' AS idempotency_key, j.id
    INTO v_conflict
    FROM jsonb_array_elements(v_requested) AS r(doc)
    JOIN jobforge.jobforge_jobs j
      ON j.tenant_id = (r.doc ->> 'tenant_id')::uuid
     AND j.type = r.doc ->> 'type'
     AND j.idempotency_key = r.doc ->> 'idempotency_key'
    WHERE NOT (r.doc -> 'replay')::boolean
      AND j.payload IS DISTINCT FROM r.doc -> 'payload'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'follow_ups[%] (%) of job %: idempotency key % is already used by job % with a different payload',
            v_conflict.follow_up_index, v_conflict.type, v_conflict.parent_id,
            v_conflict.idempotency_key, v_conflict.id
            USING ERRCODE = 'JF001',
                  HINT = 'a follow-up''s explicit idempotency key names one job of its type: give another payload another key';
    END IF;

    -- What each parent's result records: per follow-up, the job it created or found (or,
    -- for a replay, the payload it would have enqueued).
    SELECT coalesce(jsonb_object_agg(per_parent.parent_id, per_parent.follow_ups), '{}'),
           coalesce(bool_or(per_parent.runnable), false)
    INTO v_recorded, v_runnable
    FROM (
        SELECT r.doc ->> 'parent_id' AS parent_id,
               jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'index', r.doc -> 'index',
                   'type', r.doc -> 'type',
                   'idempotency_key', r.doc -> 'idempotency_key',
                   'run_at', r.doc -> 'run_at',
                   'priority', r.doc -> 'priority',
                   'max_attempts', r.doc -> 'max_attempts',
                   'payload_sha256', r.doc -> 'payload_sha256',
                   'job_id', j.id,
                   -- Created by this call, and asked for first (a key asked for twice
                   -- in one call finds the job the first one created).
                   'created', CASE WHEN j.id IS NOT NULL
                                   THEN j.id = ANY (v_inserted) AND r.nth = 1 END))
                   || CASE WHEN (r.doc -> 'replay')::boolean
                           THEN jsonb_build_object('payload', r.doc -> 'payload')
                           ELSE '{}' END
                   ORDER BY r.ord) AS follow_ups,
               bool_or(j.id = ANY (v_inserted) AND j.run_at <= now()) AS runnable
        FROM (
            SELECT e.doc, e.ord, row_number() OVER (
                       PARTITION BY e.doc ->> 'tenant_id', e.doc ->> 'type',
                                    e.doc ->> 'idempotency_key'
                       ORDER BY e.ord) AS nth
            FROM jsonb_array_elements(v_requested) WITH ORDINALITY AS e(doc, ord)
        ) AS r
        LEFT JOIN jobforge.jobforge_jobs j
          ON NOT (r.doc -> 'replay')::boolean
         AND j.tenant_id = (r.doc ->> 'tenant_id')::uuid
         AND j.type = r.doc ->> 'type'
         AND j.idempotency_key = r.doc ->> 'idempotency_key'
        GROUP BY r.doc ->> 'parent_id'
    ) AS per_parent;

    IF v_runnable THEN
        PERFORM pg_notify('jobforge_jobs', '');
    END IF;

    -- Complete, as jobforge_complete_jobs does, recording the follow-ups with each result.
    RETURN QUERY
    WITH input AS (
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
        UPDATE jobforge.jobforge_jobs j
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
          AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
        RETURNING j.id, j.tenant_id, j.type, j.trace_id, j.attempts,
                  coalesce(i.started_at, j.started_at) AS started_at, i.output,
                  i.input_snapshot, i.decision_trace, i.artifact_canonical, i.input_sha256,
                  i.artifact_sha256
    )
    INSERT INTO jobforge.jobforge_job_results (
        job_id, attempt, tenant_id, type, outcome, output, worker_id, trace_id,
        started_at, input_snapshot, decision_trace, artifact_canonical,
        input_sha256, artifact_sha256, follow_ups)
    SELECT d.id, d.attempts, d.tenant_id, d.type, 'succeeded', d.output, p_worker_id,
           d.trace_id, d.started_at, d.input_snapshot, d.decision_trace, d.artifact_canonical,
           d.input_sha256, d.artifact_sha256, v_recorded -> d.id::text
    FROM done d
    RETURNING jobforge_job_results.job_id;
END;
$$;

------------------------------------------------------------------------------------------
-- Privileges: workers may complete with follow-ups
------------------------------------------------------------------------------------------

-- As in version 3, with jobforge_complete_jobs_with_follow_ups among the worker RPCs.
CREATE OR REPLACE FUNCTION jobforge.jobforge_sync_role_privileges(p_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_role     oid;
    v_producer boolean;
    v_worker   boolean;
    v_function text;
BEGIN
    SELECT r.oid INTO v_role FROM pg_catalog.pg_roles r
    WHERE r.rolname = p_role AND NOT r.rolsuper;
    IF v_role IS NULL OR pg_catalog.pg_has_role(
            v_role, (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'jobforge'),
            'USAGE') THEN
        RETURN;
    END IF;
    SELECT coalesce(bool_or(g.kind = 'producer'), false), coalesce(bool_or(g.kind = 'worker'), false)
    INTO v_producer, v_worker
    FROM jobforge.jobforge_tenant_grants g WHERE g.role_name = p_role;

    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA jobforge FROM %I CASCADE', p_role);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA jobforge FROM %I CASCADE', p_role);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobforge FROM %I CASCADE', p_role);
    EXECUTE format('REVOKE ALL ON SCHEMA jobforge FROM %I CASCADE', p_role);
    IF NOT (v_producer OR v_worker) THEN
        RETURN;
    END IF;

    EXECUTE format('GRANT USAGE ON SCHEMA jobforge TO %I', p_role);
    EXECUTE format('GRANT SELECT ON jobforge.jobforge_jobs, jobforge.jobforge_job_results, '
                   'jobforge.jobforge_triggers, jobforge.jobforge_tenant_grants TO %I', p_role);
    FOREACH v_function IN ARRAY ARRAY[
        'jobforge_visible_tenants(text)', 'jobforge_queue_stats()'
    ] LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION jobforge.%s TO %I', v_function, p_role);
    END LOOP;
    IF v_producer THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON jobforge.jobforge_triggers TO %I', p_role);
        FOREACH v_function IN ARRAY ARRAY[
            'jobforge_enqueue_jobs(jsonb)',
            'jobforge_enqueue_job(uuid, text, jsonb, text, integer, timestamptz, integer, text, text)',
            'jobforge_fire_event(uuid, text, jsonb, text, text)',
            'jobforge_cancel_job(uuid)',
            'jobforge_requeue_job(uuid, integer)'
        ] LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION jobforge.%s TO %I', v_function, p_role);
        END LOOP;
    END IF;
    IF v_worker THEN
        FOREACH v_function IN ARRAY ARRAY[
            'jobforge_claim_jobs(text, integer, double precision, text[])',
            'jobforge_heartbeat(text, uuid[], integer[], double precision)',
            'jobforge_complete_jobs(text, jsonb)',
            'jobforge_complete_jobs_with_follow_ups(text, jsonb)',
            'jobforge_fail_jobs(text, jsonb)',
            'jobforge_release_jobs(text, jsonb)',
            'jobforge_complete_job(text, uuid, integer, jsonb)',
            'jobforge_fail_job(text, uuid, integer, jsonb, boolean)'
        ] LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION jobforge.%s TO %I', v_function, p_role);
        END LOOP;
    END IF;
END;
$$;

SELECT jobforge.jobforge_reset_privileges();
