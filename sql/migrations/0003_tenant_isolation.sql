-- JobForge router, version 3: tenant isolation that holds against a tenant with a SQL
-- prompt, and a job lifecycle only the RPCs can drive.
--
-- * Everything moves into a schema of its own, `jobforge`, in which only the owner may
--   create objects. Every function pins `search_path = pg_catalog, jobforge, pg_temp` and
--   names JobForge objects by schema, so no table, view, function or operator a caller
--   creates (temporary or not) can stand in for one the SQL uses.
-- * Tenant roles get no INSERT, UPDATE or DELETE on jobs, results or grants: every change
--   of a job goes through a SECURITY DEFINER RPC that checks the calling role's grants
--   first and moves the job only along the lifecycle's legal transitions.
-- * Grants have a kind. A producer (an agent, a webhook sender, a PostgREST user) may
--   enqueue, fire events, cancel and requeue, read its tenants' jobs and results, and keep
--   its tenants' event triggers. A worker claims, heartbeats, completes, fails and
--   releases its tenants' jobs. Grants made before version 3 become both kinds.
-- * Privileges are set explicitly, whatever default privileges the database had when it
--   was migrated: every privilege on every JobForge object is revoked from every role but
--   the owner, then each granted role gets exactly what its grants give.
-- * One payload limit for every path (1 MiB of canonical JSON, at most 64 nested arrays or
--   objects, numbers within the range of a double), checked by a trigger on insert;
--   non-finite backoff values and run_at outside 1900-9000 are refused by constraints.
-- * Heartbeats name the attempt. A job's results go with it when it is pruned; deleting a
--   job that has results any other way is refused.
--
-- Error codes raised by the RPCs (SQLSTATE class JF):
--   JF001 idempotency key reused with another payload
--   JF002 lease lost: the job is no longer running under this worker and attempt
--   JF003 tenant not granted to the calling role (for this kind of grant)
--   JF004 job not found (or not visible to the calling role)
--   JF005 invalid argument

------------------------------------------------------------------------------------------
-- The schema
------------------------------------------------------------------------------------------

CREATE SCHEMA IF NOT EXISTS jobforge;

DO $$
BEGIN
    -- A schema someone else owns could hold objects that shadow JobForge's.
    IF (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'jobforge')
       IS DISTINCT FROM (SELECT c.relowner FROM pg_catalog.pg_class c
                         WHERE c.oid = 'jobforge_jobs'::regclass) THEN
        RAISE EXCEPTION 'schema jobforge exists and is not owned by the owner of jobforge_jobs'
            USING HINT = 'rename or drop that schema, or migrate as its owner';
    END IF;
END;
$$;

-- Policies and triggers depend on the version 1 functions, which all go: every function is
-- recreated below in the jobforge schema.
DROP POLICY jobforge_jobs_tenant ON jobforge_jobs;
DROP POLICY jobforge_job_results_tenant ON jobforge_job_results;
DROP POLICY jobforge_triggers_tenant ON jobforge_triggers;
DROP POLICY jobforge_tenant_grants_own ON jobforge_tenant_grants;
DROP TRIGGER jobforge_job_results_immutable ON jobforge_job_results;
DROP TRIGGER jobforge_job_results_no_truncate ON jobforge_job_results;

DROP FUNCTION jobforge_refuse_result_change();
DROP FUNCTION jobforge_complete_job(text, uuid, integer, jsonb);
DROP FUNCTION jobforge_fail_job(text, uuid, integer, jsonb, boolean);
DROP FUNCTION jobforge_fire_event(uuid, text, jsonb, text, text);
DROP FUNCTION jobforge_enqueue_job(uuid, text, jsonb, text, integer, timestamptz, integer, text, text);
DROP FUNCTION jobforge_enqueue_jobs(jsonb);
DROP FUNCTION jobforge_cancel_job(uuid);
DROP FUNCTION jobforge_requeue_job(uuid, integer);
DROP FUNCTION jobforge_job_as_it_stands(uuid);
DROP FUNCTION jobforge_claim_jobs(text, integer, double precision, text[]);
DROP FUNCTION jobforge_rescue_expired_leases();
DROP FUNCTION jobforge_heartbeat(text, uuid[], double precision);
DROP FUNCTION jobforge_complete_jobs(text, jsonb);
DROP FUNCTION jobforge_fail_jobs(text, jsonb);
DROP FUNCTION jobforge_release_jobs(text, jsonb);
DROP FUNCTION jobforge_backoff_seconds(integer, double precision, double precision, double precision);
DROP FUNCTION jobforge_prune_finished_jobs(interval, integer);
DROP FUNCTION jobforge_queue_stats();
DROP FUNCTION jobforge_grant_tenant(name, uuid);
DROP FUNCTION jobforge_revoke_tenant(name, uuid);
DROP FUNCTION jobforge_assert_tenants(uuid[]);
DROP FUNCTION jobforge_visible_tenants();

ALTER TYPE jobforge_job_state SET SCHEMA jobforge;
ALTER TABLE jobforge_tenant_grants SET SCHEMA jobforge;
ALTER TABLE jobforge_jobs SET SCHEMA jobforge;
ALTER TABLE jobforge_job_results SET SCHEMA jobforge;
ALTER TABLE jobforge_triggers SET SCHEMA jobforge;
-- Kept by `jobforge migrate` (absent when the files are applied with psql). Owner only,
-- like every JobForge table: row-level security with no policy.
ALTER TABLE IF EXISTS jobforge_schema_migrations SET SCHEMA jobforge;
ALTER TABLE IF EXISTS jobforge.jobforge_schema_migrations ENABLE ROW LEVEL SECURITY;

------------------------------------------------------------------------------------------
-- Grants with a kind
------------------------------------------------------------------------------------------

ALTER TABLE jobforge.jobforge_tenant_grants
    ADD COLUMN kind text,
    DROP CONSTRAINT jobforge_tenant_grants_pkey;
UPDATE jobforge.jobforge_tenant_grants SET kind = 'producer';
INSERT INTO jobforge.jobforge_tenant_grants (role_name, tenant_id, granted_at, kind)
SELECT g.role_name, g.tenant_id, g.granted_at, 'worker'
FROM jobforge.jobforge_tenant_grants g;
ALTER TABLE jobforge.jobforge_tenant_grants
    ALTER COLUMN kind SET NOT NULL,
    ADD CONSTRAINT jobforge_tenant_grants_kind CHECK (kind IN ('producer', 'worker')),
    ADD PRIMARY KEY (role_name, tenant_id, kind);

------------------------------------------------------------------------------------------
-- Values no worker can use
------------------------------------------------------------------------------------------

-- Rows that only an attack could have written: clamp them so the new constraints hold
-- (NaN passes `> 0` in PostgreSQL, so version 1 let it in).
UPDATE jobforge.jobforge_jobs SET backoff_base_seconds = 1
WHERE NOT (backoff_base_seconds > 0 AND backoff_base_seconds <= 86400);
UPDATE jobforge.jobforge_jobs SET backoff_cap_seconds = greatest(backoff_base_seconds, 300)
WHERE NOT (backoff_cap_seconds >= backoff_base_seconds AND backoff_cap_seconds <= 2592000);
UPDATE jobforge.jobforge_jobs SET run_at = now()
WHERE NOT (run_at >= '1900-01-01 00:00:00+00' AND run_at < '9000-01-01 00:00:00+00');

ALTER TABLE jobforge.jobforge_jobs
    DROP CONSTRAINT jobforge_jobs_backoff_range,
    -- Finite, and at most a day between the first retries and 30 days between later ones.
    ADD CONSTRAINT jobforge_jobs_backoff_range CHECK (
        backoff_base_seconds > 0 AND backoff_base_seconds <= 86400
        AND backoff_cap_seconds >= backoff_base_seconds AND backoff_cap_seconds <= 2592000),
    -- Finite, and within what every client library can represent.
    ADD CONSTRAINT jobforge_jobs_run_at_range CHECK (
        run_at >= '1900-01-01 00:00:00+00' AND run_at < '9000-01-01 00:00:00+00'),
    -- Replaced by the payload trigger below: pg_column_size measured compressed bytes.
    DROP CONSTRAINT jobforge_jobs_payload_size;

UPDATE jobforge.jobforge_triggers SET priority = greatest(-32768, least(32767, priority))
WHERE priority NOT BETWEEN -32768 AND 32767;
ALTER TABLE jobforge.jobforge_triggers
    ADD CONSTRAINT jobforge_triggers_priority_range CHECK (priority BETWEEN -32768 AND 32767),
    ADD CONSTRAINT jobforge_triggers_name_length CHECK (length(name) BETWEEN 1 AND 200) NOT VALID,
    ADD CONSTRAINT jobforge_triggers_event_type_length
        CHECK (length(event_type) BETWEEN 1 AND 200) NOT VALID;

-- A document's jsonb text with every string emptied ("..." becomes ""), so that what is
-- left is structure and numbers. (An E'' literal: its backslashes mean the same whatever
-- standard_conforming_strings the calling session set.)
CREATE FUNCTION jobforge.jobforge_json_without_strings(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT regexp_replace(p_text, E'"(?:[^"\\\\]|\\\\.)*"', '""', 'g')
$$;

-- The size of a document's canonical JSON: UTF-8, no white space between tokens, numbers
-- as PostgreSQL writes them. jsonb's text puts one space after every ':' and ',' outside
-- strings and none anywhere else, so the canonical size is the text's less those spaces.
CREATE FUNCTION jobforge.jobforge_json_canonical_octets(p_document jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT octet_length(t.text) - (octet_length(b.bare) - octet_length(replace(b.bare, ' ', '')))
    FROM (SELECT p_document::text AS text) AS t,
         LATERAL (SELECT jobforge.jobforge_json_without_strings(t.text) AS bare) AS b
$$;

-- The JSON limits, one definition for every path (the Python client checks the same):
--   * at most 1 MiB (1,048,576 bytes) of canonical JSON (jobforge_json_canonical_octets);
--   * at most 64 arrays or objects nested in one another;
--   * every number within the range of a double (|n| <= 1.7976931348623157e308), as
--     JSON decoders in every language require.
-- Returns what is wrong with `p_document`, or NULL when it is within the limits. Each
-- check starts from a cheap necessary condition on the text, so a document pays for the
-- exact walk only when it could break a limit.
CREATE FUNCTION jobforge.jobforge_json_problem(p_document jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_text   text := p_document::text;
    v_octets bigint := octet_length(v_text);
    v_size   bigint;
BEGIN
    -- The text is never shorter than the canonical form: only longer texts need counting.
    IF v_octets > 1048576 THEN
        v_size := jobforge.jobforge_json_canonical_octets(p_document);
        IF v_size > 1048576 THEN
            RETURN format('%s bytes of canonical JSON, above the limit of 1048576', v_size);
        END IF;
    END IF;
    -- Nesting 65 deep takes 65 opening brackets (counted in strings too: only a document
    -- with that many needs the walk).
    IF length(v_text) - length(translate(v_text, '[{', '')) > 64
       AND jsonb_path_exists(p_document,
               'strict $.**{64} ? (@.type() == "array" || @.type() == "object")') THEN
        RETURN 'nested deeper than 64 arrays or objects';
    END IF;
    -- A number beyond a double's range has at least 309 digits before any decimal point
    -- (PostgreSQL never writes numbers with an exponent).
    IF v_octets >= 309 AND v_text ~ '[0-9]{200}[0-9]{109}'
       AND jobforge.jobforge_json_without_strings(v_text) ~ '(^|[^0-9.])[0-9]{200}[0-9]{109}'
       AND jsonb_path_exists(p_document, 'strict $.** ? (@.type() == "number" && (@ > 179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368 || @ < -179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368))') THEN
        RETURN 'holds a number beyond the range of a double (1.7976931348623157e308)';
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION jobforge.jobforge_check_job_payload() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_problem text := jobforge.jobforge_json_problem(NEW.payload);
BEGIN
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'payload of a % job: %', NEW.type, v_problem
            USING ERRCODE = 'JF005',
                  HINT = 'a payload is at most 1 MiB of JSON, 64 levels deep, numbers within a double';
    END IF;
    RETURN NEW;
END;
$$;

-- Only a document of more than 128 bytes can break a limit (65 levels take 130 brackets),
-- so small payloads cost one conversion to text and no function call.
CREATE TRIGGER jobforge_jobs_payload_limits
    BEFORE INSERT ON jobforge.jobforge_jobs
    FOR EACH ROW WHEN (octet_length(NEW.payload::text) > 128)
    EXECUTE FUNCTION jobforge.jobforge_check_job_payload();

-- A job's payload is its input, recorded with every attempt: it never changes after
-- enqueue, for the owner too. (A statement trigger: a row-level BEFORE UPDATE trigger
-- would make every claim and completion fetch and lock each row twice.)
CREATE FUNCTION jobforge.jobforge_refuse_payload_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'a job''s payload never changes after enqueue'
        USING ERRCODE = 'JF005',
              HINT = 'enqueue a new job with the new payload (and cancel the old one)';
END;
$$;

CREATE TRIGGER jobforge_jobs_payload_immutable
    BEFORE UPDATE OF payload ON jobforge.jobforge_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobforge.jobforge_refuse_payload_change();

-- Producers write their triggers directly; the check runs as the owner, so the JSON
-- helpers stay owner-only.
CREATE FUNCTION jobforge.jobforge_check_trigger_documents() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_problem text;
BEGIN
    v_problem := jobforge.jobforge_json_problem(NEW.payload_filter);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'payload_filter of trigger %: %', NEW.name, v_problem USING ERRCODE = 'JF005';
    END IF;
    v_problem := jobforge.jobforge_json_problem(NEW.payload_defaults);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'payload_defaults of trigger %: %', NEW.name, v_problem USING ERRCODE = 'JF005';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER jobforge_triggers_document_limits
    BEFORE INSERT OR UPDATE OF payload_filter, payload_defaults ON jobforge.jobforge_triggers
    FOR EACH ROW EXECUTE FUNCTION jobforge.jobforge_check_trigger_documents();

------------------------------------------------------------------------------------------
-- Results: immutable, and gone with their job
------------------------------------------------------------------------------------------

CREATE FUNCTION jobforge.jobforge_refuse_result_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    -- Only the owner can delete at all; the flag keeps the owner's own mistakes out.
    IF TG_OP = 'DELETE' AND current_setting('jobforge.pruning', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'jobforge_job_results rows are immutable: % refused', TG_OP
        USING ERRCODE = 'JF005',
              HINT = 'finished jobs and their results are removed only by jobforge.jobforge_prune_finished_jobs()';
END;
$$;

CREATE TRIGGER jobforge_job_results_immutable
    BEFORE UPDATE OR DELETE ON jobforge.jobforge_job_results
    FOR EACH ROW EXECUTE FUNCTION jobforge.jobforge_refuse_result_change();

CREATE TRIGGER jobforge_job_results_no_truncate
    BEFORE TRUNCATE ON jobforge.jobforge_job_results
    FOR EACH STATEMENT EXECUTE FUNCTION jobforge.jobforge_refuse_result_change();

-- A deleted job takes its results with it (through prune), or the delete is refused: a
-- result never outlives its job. One statement-level trigger, so the hot paths pay nothing
-- (a foreign key would check every result inserted).
CREATE FUNCTION jobforge.jobforge_delete_results_of_deleted_jobs() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    IF current_setting('jobforge.pruning', true) = 'on' THEN
        DELETE FROM jobforge.jobforge_job_results r USING deleted_jobs d WHERE r.job_id = d.id;
    ELSIF EXISTS (SELECT 1 FROM jobforge.jobforge_job_results r JOIN deleted_jobs d
                  ON r.job_id = d.id) THEN
        RAISE EXCEPTION 'a job with recorded results cannot be deleted: its results are immutable'
            USING ERRCODE = 'JF005',
                  HINT = 'finished jobs and their results are removed only by jobforge.jobforge_prune_finished_jobs()';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobforge_jobs_results_go_with_them
    AFTER DELETE ON jobforge.jobforge_jobs
    REFERENCING OLD TABLE AS deleted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobforge.jobforge_delete_results_of_deleted_jobs();

CREATE FUNCTION jobforge.jobforge_refuse_jobs_truncate() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM jobforge.jobforge_job_results) THEN
        RAISE EXCEPTION 'jobforge_jobs cannot be truncated while results are recorded'
            USING ERRCODE = 'JF005',
                  HINT = 'finished jobs and their results are removed only by jobforge.jobforge_prune_finished_jobs()';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobforge_jobs_no_truncate
    BEFORE TRUNCATE ON jobforge.jobforge_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobforge.jobforge_refuse_jobs_truncate();

-- Results whose job was deleted before version 3 are unreachable (no job to read them
-- through); they go now, so every result has its job from here on.
DO $$
BEGIN
    PERFORM set_config('jobforge.pruning', 'on', true);
    DELETE FROM jobforge.jobforge_job_results r
    WHERE NOT EXISTS (SELECT 1 FROM jobforge.jobforge_jobs j WHERE j.id = r.job_id);
    PERFORM set_config('jobforge.pruning', 'off', true);
END;
$$;

------------------------------------------------------------------------------------------
-- Who is calling, and for which tenants
------------------------------------------------------------------------------------------

-- The role a call acts as: the role chosen with SET ROLE (PostgREST sets it per request),
-- else the role that logged in. Inside a SECURITY DEFINER function current_user is the
-- function's owner, so the caller is read from these two, neither of which can name a
-- role the session is not a member of. No other setting takes part.
CREATE FUNCTION jobforge.jobforge_calling_role() RETURNS name
LANGUAGE sql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;

-- The tenants the calling role holds grants of p_kind for (directly, or through a role
-- whose privileges it has); NULL when it administers every tenant: a superuser, or the
-- owner of the JobForge tables (or a role with the owner's privileges).
CREATE FUNCTION jobforge.jobforge_caller_tenants(p_kind text) RETURNS uuid[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_caller record;
BEGIN
    SELECT r.oid, r.rolsuper INTO v_caller
    FROM pg_catalog.pg_roles r WHERE r.rolname = jobforge.jobforge_calling_role();
    -- A role dropped (or renamed) while a session had it set holds nothing, and neither
    -- does a name the session could not SET ROLE to now.
    IF NOT FOUND OR NOT pg_catalog.pg_has_role(session_user, v_caller.oid, 'MEMBER') THEN
        RETURN '{}';
    END IF;
    IF v_caller.rolsuper OR pg_catalog.pg_has_role(
            v_caller.oid,
            (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'jobforge.jobforge_jobs'::regclass),
            'USAGE') THEN
        RETURN NULL;
    END IF;
    RETURN coalesce((
        SELECT array_agg(DISTINCT g.tenant_id)
        FROM jobforge.jobforge_tenant_grants g
        JOIN pg_catalog.pg_roles r ON r.rolname = g.role_name
        WHERE g.kind = p_kind AND pg_catalog.pg_has_role(v_caller.oid, r.oid, 'USAGE')
    ), '{}');
END;
$$;

-- Refuses, naming the tenant and the kind of grant missing, any of p_tenant_ids that the
-- calling role may not act for.
CREATE FUNCTION jobforge.jobforge_require_tenants(
    p_kind text, p_allowed uuid[], p_tenant_ids uuid[]
) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_denied uuid;
BEGIN
    IF p_allowed IS NULL THEN
        RETURN;
    END IF;
    SELECT t INTO v_denied FROM unnest(p_tenant_ids) AS t
    WHERE NOT (t = ANY (p_allowed)) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'role % is not granted tenant % as a %',
            jobforge.jobforge_calling_role(), v_denied, p_kind
            USING ERRCODE = 'JF003',
                  HINT = format('the JobForge owner grants it: jobforge grant-tenant ROLE %s --%s',
                                v_denied, p_kind);
    END IF;
END;
$$;

-- The tenants the current role may read: every tenant it (or a role whose privileges it
-- has) holds a grant of p_kind for (any kind when NULL). Row-level security policies call
-- it once per statement, as the querying role.
CREATE FUNCTION jobforge.jobforge_visible_tenants(p_kind text DEFAULT NULL) RETURNS uuid[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT g.tenant_id), '{}'::uuid[])
    FROM jobforge.jobforge_tenant_grants g
    JOIN pg_catalog.pg_roles r ON r.rolname = g.role_name
    WHERE (p_kind IS NULL OR g.kind = p_kind)
      AND pg_catalog.pg_has_role(current_user, r.oid, 'USAGE')
$$;

------------------------------------------------------------------------------------------
-- Row-level security: reading only. Nobody but the owner writes jobs, results or grants
-- directly; producers keep their tenants' event triggers.
------------------------------------------------------------------------------------------

-- (SELECT ...) makes the planner evaluate the tenant list once per statement, not per row.
CREATE POLICY jobforge_jobs_read ON jobforge.jobforge_jobs
    FOR SELECT USING (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants())::uuid[]));

CREATE POLICY jobforge_job_results_read ON jobforge.jobforge_job_results
    FOR SELECT USING (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants())::uuid[]));

CREATE POLICY jobforge_triggers_read ON jobforge.jobforge_triggers
    FOR SELECT USING (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants())::uuid[]));

CREATE POLICY jobforge_triggers_producer_insert ON jobforge.jobforge_triggers
    FOR INSERT
    WITH CHECK (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants('producer'))::uuid[]));

CREATE POLICY jobforge_triggers_producer_update ON jobforge.jobforge_triggers
    FOR UPDATE
    USING (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants('producer'))::uuid[]))
    WITH CHECK (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants('producer'))::uuid[]));

CREATE POLICY jobforge_triggers_producer_delete ON jobforge.jobforge_triggers
    FOR DELETE
    USING (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants('producer'))::uuid[]));

CREATE POLICY jobforge_tenant_grants_own ON jobforge.jobforge_tenant_grants
    FOR SELECT
    USING (role_name IN (SELECT r.rolname FROM pg_catalog.pg_roles r
                         WHERE pg_catalog.pg_has_role(current_user, r.oid, 'USAGE')));

------------------------------------------------------------------------------------------
-- Granting tenants and setting privileges (owner only)
------------------------------------------------------------------------------------------

-- Gives p_role exactly the privileges its grants call for, and nothing else: USAGE on the
-- schema, reading jobs, results, triggers and its own grants for any grant; the producer
-- RPCs and writing its tenants' triggers for a producer grant; the worker RPCs for a worker
-- grant. The owner and superusers are left alone: they already hold everything.
CREATE FUNCTION jobforge.jobforge_sync_role_privileges(p_role name) RETURNS void
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

-- Revokes every privilege on every JobForge object from every role but the owner (PUBLIC
-- included), whatever default privileges granted at creation, then gives each granted role
-- what its grants call for. Run at the end of every migration.
CREATE FUNCTION jobforge.jobforge_reset_privileges() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_schema  oid := 'jobforge'::regnamespace;
    v_owner   oid := (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.oid = v_schema);
    v_grantee oid;
    v_name    text;
BEGIN
    FOR v_grantee IN
        SELECT DISTINCT a.grantee FROM (
            SELECT c.relacl AS acl FROM pg_catalog.pg_class c WHERE c.relnamespace = v_schema
            UNION ALL
            SELECT p.proacl FROM pg_catalog.pg_proc p WHERE p.pronamespace = v_schema
            UNION ALL
            SELECT n.nspacl FROM pg_catalog.pg_namespace n WHERE n.oid = v_schema
        ) AS objects, LATERAL aclexplode(objects.acl) AS a
        WHERE objects.acl IS NOT NULL AND a.grantee <> v_owner
    LOOP
        v_name := CASE WHEN v_grantee = 0 THEN 'PUBLIC'
                       ELSE quote_ident((SELECT r.rolname FROM pg_catalog.pg_roles r
                                         WHERE r.oid = v_grantee)) END;
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA jobforge FROM %s CASCADE', v_name);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA jobforge FROM %s CASCADE', v_name);
        EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobforge FROM %s CASCADE', v_name);
        EXECUTE format('REVOKE ALL ON SCHEMA jobforge FROM %s CASCADE', v_name);
    END LOOP;
    -- Functions are executable by PUBLIC unless revoked, even with no ACL recorded yet.
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobforge FROM PUBLIC;
    REVOKE ALL ON SCHEMA jobforge FROM PUBLIC;
    FOR v_name IN SELECT DISTINCT g.role_name FROM jobforge.jobforge_tenant_grants g LOOP
        PERFORM jobforge.jobforge_sync_role_privileges(v_name);
    END LOOP;
END;
$$;

CREATE FUNCTION jobforge.jobforge_grant_tenant(p_role name, p_tenant_id uuid, p_kind text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('producer', 'worker') THEN
        RAISE EXCEPTION 'kind must be ''producer'' or ''worker'', got %', coalesce(p_kind, 'null')
            USING ERRCODE = 'JF005',
                  HINT = 'a producer enqueues, fires events and cancels; a worker claims and completes';
    END IF;
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION 'tenant_id must be a UUID, got null' USING ERRCODE = 'JF005';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = p_role) THEN
        RAISE EXCEPTION 'role % does not exist', p_role USING ERRCODE = 'JF005';
    END IF;
    INSERT INTO jobforge.jobforge_tenant_grants (role_name, tenant_id, kind)
    VALUES (p_role, p_tenant_id, p_kind)
    ON CONFLICT DO NOTHING;
    PERFORM jobforge.jobforge_sync_role_privileges(p_role);
END;
$$;

-- Withdraws a tenant from a role: grants of p_kind, or of both kinds when it is NULL.
-- True if a grant was removed. The role keeps only the privileges its other grants need.
CREATE FUNCTION jobforge.jobforge_revoke_tenant(p_role name, p_tenant_id uuid, p_kind text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_removed boolean;
BEGIN
    DELETE FROM jobforge.jobforge_tenant_grants g
    WHERE g.role_name = p_role AND g.tenant_id = p_tenant_id
      AND (p_kind IS NULL OR g.kind = p_kind);
    v_removed := FOUND;
    PERFORM jobforge.jobforge_sync_role_privileges(p_role);
    RETURN v_removed;
END;
$$;

------------------------------------------------------------------------------------------
-- Retry schedule
------------------------------------------------------------------------------------------

-- Exponential backoff with "equal jitter": the delay for attempt n is
-- d = min(cap, base * 2^(n-1)), drawn uniformly from [d/2, d]. unit_random is in [0, 1).
CREATE FUNCTION jobforge.jobforge_backoff_seconds(
    p_attempt integer, p_base double precision, p_cap double precision, p_unit_random double precision
) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT d * (1 + p_unit_random) / 2  -- (not d/2 + d/2*u: u near 0 would underflow)
    FROM (SELECT least(p_cap, p_base * power(2::double precision, greatest(p_attempt, 1) - 1)) AS d) s
$$;

------------------------------------------------------------------------------------------
-- Enqueue (producers)
------------------------------------------------------------------------------------------

-- The UUID a text names, or NULL when it names none (a bad id is reported, not cast).
CREATE FUNCTION jobforge.jobforge_uuid_or_null(p_text text) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    RETURN p_text::uuid;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END;
$$;

-- Raises: only the owner enqueues with a replay_context (recorded connector answers).
CREATE FUNCTION jobforge.jobforge_refuse_replay_context() RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'replay_context is set only by JobForge replays, which run as the owner'
        USING ERRCODE = 'JF003';
END;
$$;

-- Enqueues many jobs in one statement. p_jobs is a JSON array of objects with the keys
-- tenant_id, type, payload (required) and idempotency_key, priority, run_at, max_attempts,
-- ordering_key, trace_id, backoff_base_seconds, backoff_cap_seconds (optional), and
-- replay_context (set by replays, which run as the owner).
-- Returns one row per input element, in input order. The same (tenant, type,
-- idempotency_key) always yields the same job; reusing a key with another payload raises JF001.
CREATE FUNCTION jobforge.jobforge_enqueue_jobs(p_jobs jsonb)
RETURNS TABLE (job_index integer, job_id uuid, created boolean, state jobforge.jobforge_job_state, trace_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed     uuid[];
    v_ids         uuid[];
    v_keyed       boolean;
    v_runnable    boolean;
    v_jobs        bigint;
    v_with_tenant bigint;
    v_first       text := p_jobs -> 0 ->> 'tenant_id';
    v_one_tenant  boolean;
    v_requested   text[];
    v_tenant_ids  uuid[] := '{}';
    v_text        text;
    v_tenant      uuid;
    v_index       bigint;
    v_conflict    record;
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
    v_allowed := jobforge.jobforge_caller_tenants('producer');

    -- One pass: an id per job, whether any job has an idempotency key, whether any job is
    -- runnable now (then workers are notified), and whether every job names the first
    -- job's tenant (the common case, which needs no second pass).
    SELECT array_agg(encode(set_bit(set_bit(
               overlay(uuid_send(gen_random_uuid()) PLACING v_time_prefix FROM 1 FOR 6),
               52, 1), 53, 1), 'hex')::uuid ORDER BY r.ord),
           bool_or(r.idempotency_key IS NOT NULL),
           bool_or(r.run_at IS NULL OR r.run_at <= now()),
           count(*), count(r.tenant_id), coalesce(bool_and(r.tenant_id = v_first), false)
    INTO v_ids, v_keyed, v_runnable, v_jobs, v_with_tenant, v_one_tenant
    FROM ROWS FROM (jsonb_to_recordset(p_jobs) AS (
             tenant_id text, idempotency_key text, run_at timestamptz))
         WITH ORDINALITY AS r(tenant_id, idempotency_key, run_at, ord);

    IF v_with_tenant < v_jobs THEN
        SELECT e.ord - 1 INTO v_index FROM jsonb_array_elements(p_jobs) WITH ORDINALITY AS e(doc, ord)
        WHERE coalesce(e.doc -> 'tenant_id', 'null') = 'null' ORDER BY e.ord LIMIT 1;
        RAISE EXCEPTION 'jobs[%].tenant_id: expected a UUID, got null', v_index
            USING ERRCODE = 'JF005';
    END IF;
    IF v_one_tenant THEN
        v_requested := ARRAY[v_first];
    ELSE
        SELECT array_agg(DISTINCT r.tenant_id) INTO v_requested
        FROM jsonb_to_recordset(p_jobs) AS r(tenant_id text);
    END IF;
    FOREACH v_text IN ARRAY v_requested LOOP
        v_tenant := jobforge.jobforge_uuid_or_null(v_text);
        IF v_tenant IS NULL THEN
            SELECT e.ord - 1 INTO v_index FROM jsonb_array_elements(p_jobs) WITH ORDINALITY AS e(doc, ord)
            WHERE e.doc ->> 'tenant_id' = v_text ORDER BY e.ord LIMIT 1;
            RAISE EXCEPTION 'jobs[%].tenant_id: expected a UUID, got %', v_index, to_jsonb(v_text)
                USING ERRCODE = 'JF005';
        END IF;
        v_tenant_ids := v_tenant_ids || v_tenant;
    END LOOP;
    PERFORM jobforge.jobforge_require_tenants('producer', v_allowed, v_tenant_ids);

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

        INSERT INTO jobforge.jobforge_jobs AS j (
            id, tenant_id, type, payload, idempotency_key, priority, run_at, max_attempts,
            ordering_key, trace_id, backoff_base_seconds, backoff_cap_seconds, replay_context
        )
        SELECT
            v_ids[r.ord], r.tenant_id, r.type, r.payload, r.idempotency_key,
            coalesce(r.priority, 0), coalesce(r.run_at, now()), coalesce(r.max_attempts, 5),
            r.ordering_key, coalesce(r.trace_id, encode(uuid_send(v_ids[r.ord]), 'hex')),
            coalesce(r.backoff_base_seconds, 1),
            -- A base above the default cap raises the cap to it.
            coalesce(r.backoff_cap_seconds, greatest(300, r.backoff_base_seconds)),
            -- Recorded connector answers are for replays, which run as the owner.
            CASE WHEN r.replay_context IS NOT NULL AND v_allowed IS NOT NULL
                 THEN jobforge.jobforge_refuse_replay_context() ELSE r.replay_context END
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
    ELSE
        -- No job carries an idempotency key, so none can conflict: a plain insert skips
        -- the speculative insertion ON CONFLICT costs every row.
        INSERT INTO jobforge.jobforge_jobs AS j (
            id, tenant_id, type, payload, idempotency_key, priority, run_at, max_attempts,
            ordering_key, trace_id, backoff_base_seconds, backoff_cap_seconds, replay_context
        )
        SELECT
            v_ids[r.ord], r.tenant_id, r.type, r.payload, r.idempotency_key,
            coalesce(r.priority, 0), coalesce(r.run_at, now()), coalesce(r.max_attempts, 5),
            r.ordering_key, coalesce(r.trace_id, encode(uuid_send(v_ids[r.ord]), 'hex')),
            coalesce(r.backoff_base_seconds, 1),
            -- A base above the default cap raises the cap to it.
            coalesce(r.backoff_cap_seconds, greatest(300, r.backoff_base_seconds)),
            -- Recorded connector answers are for replays, which run as the owner.
            CASE WHEN r.replay_context IS NOT NULL AND v_allowed IS NOT NULL
                 THEN jobforge.jobforge_refuse_replay_context() ELSE r.replay_context END
        FROM ROWS FROM (jsonb_to_recordset(p_jobs) AS (
                 tenant_id uuid, type text, payload jsonb, idempotency_key text, priority integer,
                 run_at timestamptz, max_attempts integer, ordering_key text, trace_id text,
                 backoff_base_seconds double precision, backoff_cap_seconds double precision,
                 replay_context jsonb)) WITH ORDINALITY AS r(
                 tenant_id, type, payload, idempotency_key, priority, run_at, max_attempts,
                 ordering_key, trace_id, backoff_base_seconds, backoff_cap_seconds,
                 replay_context, ord)
        ORDER BY r.ord;  -- seq follows input order: FIFO within an ordering key
    END IF;

    IF v_runnable THEN
        PERFORM pg_notify('jobforge_jobs', '');
    END IF;

    IF NOT v_keyed THEN
        RETURN QUERY
        SELECT (r.ord - 1)::integer, v_ids[r.ord], true, 'queued'::jobforge.jobforge_job_state,
               coalesce(r.trace_id, encode(uuid_send(v_ids[r.ord]), 'hex'))
        FROM ROWS FROM (jsonb_to_recordset(p_jobs) AS (trace_id text))
             WITH ORDINALITY AS r(trace_id, ord)
        ORDER BY r.ord;
        RETURN;
    END IF;

    -- Keyed jobs that were not inserted already exist (perhaps inserted a moment ago by a
    -- concurrent client: this statement's fresh snapshot sees it). Their payload must match.
    -- Every tenant here was checked above, so only the caller's own jobs are looked at.
    SELECT e.ord - 1 AS job_index, j.id, e.doc ->> 'idempotency_key' AS idempotency_key
    INTO v_conflict
    FROM jsonb_array_elements(p_jobs) WITH ORDINALITY AS e(doc, ord)
    JOIN jobforge.jobforge_jobs j
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
           coalesce(j.state, 'queued'::jobforge.jobforge_job_state),
           coalesce(j.trace_id, e.doc ->> 'trace_id', encode(uuid_send(v_ids[e.ord]), 'hex'))
    FROM jsonb_array_elements(p_jobs) WITH ORDINALITY AS e(doc, ord)
    LEFT JOIN jobforge.jobforge_jobs j
      ON e.doc ? 'idempotency_key'
     AND j.tenant_id = (e.doc ->> 'tenant_id')::uuid
     AND j.type = e.doc ->> 'type'
     AND j.idempotency_key = e.doc ->> 'idempotency_key'
    ORDER BY e.ord;
END;
$$;

CREATE FUNCTION jobforge.jobforge_enqueue_job(
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
RETURNS TABLE (job_id uuid, created boolean, state jobforge.jobforge_job_state, trace_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    -- Named as the caller named them (PostgREST sends them by name), not as jobs[0].
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION 'tenant_id: expected a UUID, got null' USING ERRCODE = 'JF005';
    ELSIF p_type IS NULL THEN
        RAISE EXCEPTION 'type: expected a job type such as ''billing.send'', got null'
            USING ERRCODE = 'JF005';
    ELSIF p_payload IS NULL THEN
        RAISE EXCEPTION 'payload: expected a JSON value, got null (use ''null''::jsonb for JSON null)'
            USING ERRCODE = 'JF005';
    END IF;
    RETURN QUERY
    SELECT r.job_id, r.created, r.state, r.trace_id
    FROM jobforge.jobforge_enqueue_jobs(jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
        'tenant_id', p_tenant_id, 'type', p_type, 'idempotency_key', p_idempotency_key,
        'priority', p_priority, 'run_at', p_run_at, 'max_attempts', p_max_attempts,
        'ordering_key', p_ordering_key, 'trace_id', p_trace_id
    )) || jsonb_build_object('payload', p_payload))) AS r;
END;
$$;

------------------------------------------------------------------------------------------
-- Claim, heartbeat, complete, fail, release (workers)
------------------------------------------------------------------------------------------

-- Moves running jobs whose lease expired (their worker died or stalled) back to
-- awaiting_retry, or to dead when that was their last attempt, recording the lost attempt.
-- Called inside every claim, whoever claims: an expired lease is rescued for any tenant.
CREATE FUNCTION jobforge.jobforge_rescue_expired_leases() RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_rescued integer;
BEGIN
    WITH expired AS (
        SELECT j.id
        FROM jobforge.jobforge_jobs j
        WHERE j.state = 'running' AND j.lease_expires_at < now()
        ORDER BY j.lease_expires_at
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    ),
    rescued AS (
        UPDATE jobforge.jobforge_jobs j
        SET state = CASE WHEN j.attempts >= j.max_attempts
                         THEN 'dead'::jobforge.jobforge_job_state ELSE 'awaiting_retry' END,
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
        INSERT INTO jobforge.jobforge_job_results
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

-- Leases last from a moment to a day: a worker holding a job longer heartbeats.
CREATE FUNCTION jobforge.jobforge_check_lease_seconds(p_lease_seconds double precision)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    IF p_lease_seconds IS NULL OR NOT (p_lease_seconds > 0 AND p_lease_seconds <= 86400) THEN
        RAISE EXCEPTION 'lease_seconds must be above 0 and at most 86400, got %', p_lease_seconds
            USING ERRCODE = 'JF005';
    END IF;
END;
$$;

-- Claims up to p_limit runnable jobs of the calling worker's tenants for p_worker_id,
-- taking a lease of p_lease_seconds. Order: priority (high first), then run_at, then
-- enqueue order. A job with an ordering key is not claimed while an earlier job of the
-- same tenant and key is unfinished, so a batch holds at most the first runnable job of
-- each key.
CREATE FUNCTION jobforge.jobforge_claim_jobs(
    p_worker_id text,
    p_limit integer,
    p_lease_seconds double precision DEFAULT 30,
    p_job_types text[] DEFAULT NULL
)
RETURNS SETOF jobforge.jobforge_jobs
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
-- Claim must walk jobforge_jobs_runnable_idx in order and stop after p_limit rows. Row
-- estimates for a queue table are always stale, and a plan that sorts every runnable
-- job would make each claim O(queue length); forbidding sorts keeps the index walk.
SET enable_sort = off
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('worker');
BEGIN
    IF p_worker_id IS NULL OR length(p_worker_id) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'worker_id must be 1 to 200 characters' USING ERRCODE = 'JF005';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 10000, got %', p_limit USING ERRCODE = 'JF005';
    END IF;
    PERFORM jobforge.jobforge_check_lease_seconds(p_lease_seconds);

    PERFORM jobforge.jobforge_rescue_expired_leases();

    RETURN QUERY
    WITH candidates AS (
        SELECT j.id
        FROM jobforge.jobforge_jobs j
        WHERE j.state IN ('queued', 'awaiting_retry')
          AND j.run_at <= now()
          AND (p_job_types IS NULL OR j.type = ANY (p_job_types))
          AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
          AND (j.ordering_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM jobforge.jobforge_jobs earlier
                WHERE earlier.tenant_id = j.tenant_id
                  AND earlier.ordering_key = j.ordering_key
                  AND earlier.seq < j.seq
                  AND earlier.state IN ('queued', 'running', 'awaiting_retry')))
        ORDER BY j.priority DESC, j.run_at, j.seq
        LIMIT p_limit
        FOR UPDATE OF j SKIP LOCKED
    )
    UPDATE jobforge.jobforge_jobs j
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

-- Extends the leases p_worker_id holds on the attempts it names (p_attempts[i] is the
-- attempt of p_job_ids[i]); returns the ids it still holds. A missing id means the lease
-- was lost: the job was rescued, canceled, finished elsewhere, or is on a newer attempt.
CREATE FUNCTION jobforge.jobforge_heartbeat(
    p_worker_id text, p_job_ids uuid[], p_attempts integer[], p_lease_seconds double precision DEFAULT 30
)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('worker');
BEGIN
    PERFORM jobforge.jobforge_check_lease_seconds(p_lease_seconds);
    IF cardinality(p_job_ids) IS DISTINCT FROM cardinality(p_attempts) THEN
        RAISE EXCEPTION 'job_ids and attempts must have one entry per job'
            USING ERRCODE = 'JF005';
    END IF;
    RETURN QUERY
    UPDATE jobforge.jobforge_jobs j
    SET lease_expires_at = now() + make_interval(secs => p_lease_seconds)
    FROM unnest(p_job_ids, p_attempts) AS held(job_id, attempt)
    WHERE j.id = held.job_id
      AND j.attempts = held.attempt
      AND j.state = 'running'
      AND j.lease_owner = p_worker_id
      AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
    RETURNING j.id;
END;
$$;

-- Records successful attempts. p_results is a JSON array of objects with job_id, attempt,
-- output and optionally started_at, input_snapshot, decision_trace, artifact_canonical,
-- input_sha256, artifact_sha256. A result is accepted only while the job, of one of the
-- calling worker's tenants, is running under p_worker_id with that attempt number;
-- otherwise nothing is written for it (the lease was lost and a newer attempt owns the
-- job). Each accepted attempt gets exactly one result. Returns the ids of accepted results.
CREATE FUNCTION jobforge.jobforge_complete_jobs(p_worker_id text, p_results jsonb)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('worker');
BEGIN
    RETURN QUERY
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
        input_sha256, artifact_sha256)
    SELECT d.id, d.attempts, d.tenant_id, d.type, 'succeeded', d.output, p_worker_id,
           d.trace_id, d.started_at, d.input_snapshot, d.decision_trace, d.artifact_canonical,
           d.input_sha256, d.artifact_sha256
    FROM done d
    RETURNING jobforge_job_results.job_id;
END;
$$;

-- Records failed attempts. p_failures is a JSON array of objects with job_id, attempt,
-- error (a JSON object, e.g. {"kind": "exception", "message": "..."}), and optionally
-- retryable (default true), retry_in_seconds (overrides the backoff schedule; clamped to
-- 0 .. 30 days), started_at and the determinism records. A retryable failure before the
-- last attempt moves the job to awaiting_retry at now() + backoff; otherwise the job is
-- dead (dead-lettered), its last error kept. Returns the accepted failures with the job's
-- new state and run_at.
CREATE FUNCTION jobforge.jobforge_fail_jobs(p_worker_id text, p_failures jsonb)
RETURNS TABLE (job_id uuid, state jobforge.jobforge_job_state, run_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('worker');
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT r.job_id, r.attempt, r.started_at, r.input_sha256,
               -- NaN sorts above every number in PostgreSQL, so it lands on the cap too
               -- (and greatest() skips NULLs, so NULL, "use the schedule", is kept apart).
               CASE WHEN r.retry_in_seconds IS NOT NULL
                    THEN least(greatest(r.retry_in_seconds, 0), 2592000) END AS retry_in_seconds,
               e.doc -> 'error' AS error,
               e.doc -> 'input_snapshot' AS input_snapshot,
               e.doc -> 'decision_trace' AS decision_trace,
               coalesce((e.doc ->> 'retryable')::boolean, true) AS retryable
        FROM jsonb_array_elements(p_failures) AS e(doc),
             LATERAL jsonb_to_record(e.doc) AS r(
                 job_id uuid, attempt integer, retry_in_seconds double precision,
                 started_at timestamptz, input_sha256 text)
    ),
    failed AS (
        UPDATE jobforge.jobforge_jobs j
        SET state = CASE WHEN i.retryable AND j.attempts < j.max_attempts
                         THEN 'awaiting_retry'::jobforge.jobforge_job_state ELSE 'dead' END,
            run_at = CASE WHEN i.retryable AND j.attempts < j.max_attempts
                          THEN now() + make_interval(secs => coalesce(
                              i.retry_in_seconds,
                              jobforge.jobforge_backoff_seconds(j.attempts, j.backoff_base_seconds,
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
          AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
        RETURNING j.id, j.tenant_id, j.type, j.trace_id, j.attempts, j.state, j.run_at,
                  coalesce(i.started_at, j.started_at) AS started_at, i.error,
                  i.input_snapshot, i.decision_trace, i.input_sha256
    ),
    recorded AS (
        INSERT INTO jobforge.jobforge_job_results (
            job_id, attempt, tenant_id, type, outcome, error, worker_id, trace_id,
            started_at, input_snapshot, decision_trace, input_sha256)
        SELECT f.id, f.attempts, f.tenant_id, f.type,
               CASE WHEN f.state = 'dead' THEN 'dead' ELSE 'failed' END,
               f.error, p_worker_id, f.trace_id, f.started_at,
               f.input_snapshot, f.decision_trace, f.input_sha256
        FROM failed f
    )
    SELECT f.id, f.state, f.run_at FROM failed f;
END;
$$;

-- Gives jobs back without counting the attempt: used by a worker that stops before it
-- could run them (shutdown). p_jobs is a JSON array of {job_id, attempt}. Returns the ids
-- given back; a job whose lease the worker no longer holds is left alone.
CREATE FUNCTION jobforge.jobforge_release_jobs(p_worker_id text, p_jobs jsonb)
RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('worker');
BEGIN
    RETURN QUERY
    UPDATE jobforge.jobforge_jobs j
    SET state = CASE WHEN j.attempts > 1 THEN 'awaiting_retry'::jobforge.jobforge_job_state
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
      AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
    RETURNING j.id;
END;
$$;

CREATE FUNCTION jobforge.jobforge_complete_job(
    p_worker_id text, p_job_id uuid, p_attempt integer, p_output jsonb
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    PERFORM FROM jobforge.jobforge_complete_jobs(p_worker_id, jsonb_build_array(
        jsonb_build_object('job_id', p_job_id, 'attempt', p_attempt, 'output', p_output)));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % attempt % is not running under worker %: its lease was lost',
            p_job_id, p_attempt, p_worker_id USING ERRCODE = 'JF002';
    END IF;
END;
$$;

CREATE FUNCTION jobforge.jobforge_fail_job(
    p_worker_id text, p_job_id uuid, p_attempt integer, p_error jsonb,
    p_retryable boolean DEFAULT true
) RETURNS jobforge.jobforge_job_state
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_result record;
BEGIN
    SELECT * INTO v_result FROM jobforge.jobforge_fail_jobs(p_worker_id, jsonb_build_array(
        jsonb_build_object('job_id', p_job_id, 'attempt', p_attempt, 'error', p_error,
                           'retryable', p_retryable)));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % attempt % is not running under worker %: its lease was lost',
            p_job_id, p_attempt, p_worker_id USING ERRCODE = 'JF002';
    END IF;
    RETURN v_result.state;
END;
$$;

------------------------------------------------------------------------------------------
-- Cancel and requeue (producers)
------------------------------------------------------------------------------------------

-- The job as it stands (a state change that did not apply leaves it so), or JF004 when
-- it does not exist or is not of one of p_allowed's tenants (NULL: any tenant).
CREATE FUNCTION jobforge.jobforge_job_as_it_stands(p_job_id uuid, p_allowed uuid[])
RETURNS SETOF jobforge.jobforge_jobs
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    RETURN QUERY SELECT * FROM jobforge.jobforge_jobs j
    WHERE j.id = p_job_id AND (p_allowed IS NULL OR j.tenant_id = ANY (p_allowed));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_job_id USING ERRCODE = 'JF004';
    END IF;
END;
$$;

-- Cancels a job that has not finished. A running job is canceled at once: its running
-- attempt's result will be refused when it arrives. Returns the job as it now stands;
-- a finished job is returned unchanged.
CREATE FUNCTION jobforge.jobforge_cancel_job(p_job_id uuid) RETURNS SETOF jobforge.jobforge_jobs
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('producer');
BEGIN
    RETURN QUERY
    UPDATE jobforge.jobforge_jobs j
    SET state = 'canceled', finished_at = now(), updated_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
    WHERE j.id = p_job_id AND j.state IN ('queued', 'running', 'awaiting_retry')
      AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
    RETURNING j.*;
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM jobforge.jobforge_job_as_it_stands(p_job_id, v_allowed);
    END IF;
END;
$$;

-- Runs a dead or canceled job again (after fixing what killed it), with p_extra_attempts
-- more attempts. Attempt numbers keep counting up, so every attempt's result stays on
-- record. Returns the job as it now stands; an unfinished or succeeded job is unchanged.
CREATE FUNCTION jobforge.jobforge_requeue_job(p_job_id uuid, p_extra_attempts integer DEFAULT 1)
RETURNS SETOF jobforge.jobforge_jobs
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('producer');
BEGIN
    IF p_extra_attempts IS NULL OR p_extra_attempts < 1 THEN
        RAISE EXCEPTION 'extra_attempts must be at least 1, got %', p_extra_attempts
            USING ERRCODE = 'JF005';
    END IF;
    RETURN QUERY
    UPDATE jobforge.jobforge_jobs j
    SET state = CASE WHEN j.attempts = 0 THEN 'queued'::jobforge.jobforge_job_state
                     ELSE 'awaiting_retry' END,
        max_attempts = least(j.attempts + p_extra_attempts, 1000),
        run_at = now(), finished_at = NULL, updated_at = now()
    WHERE j.id = p_job_id AND j.state IN ('dead', 'canceled') AND j.attempts < 1000
      AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
    RETURNING j.*;
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM jobforge.jobforge_job_as_it_stands(p_job_id, v_allowed);
    END IF;
END;
$$;

------------------------------------------------------------------------------------------
-- Events (producers)
------------------------------------------------------------------------------------------

-- Fires an event for a tenant: every enabled trigger of that tenant whose event_type
-- matches and whose payload_filter is contained in the event payload creates one job,
-- with payload = payload_defaults || event payload. With an idempotency key, firing the
-- same event twice creates the jobs once.
CREATE FUNCTION jobforge.jobforge_fire_event(
    p_tenant_id uuid,
    p_event_type text,
    p_payload jsonb,
    p_idempotency_key text DEFAULT NULL,
    p_trace_id text DEFAULT NULL
)
RETURNS TABLE (trigger_id uuid, job_id uuid, created boolean, job_type text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_trace_id text := coalesce(p_trace_id, replace(gen_random_uuid()::text, '-', ''));
    v_triggers uuid[];
    v_jobs     jsonb;
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION 'tenant_id: expected a UUID, got null' USING ERRCODE = 'JF005';
    END IF;
    IF p_event_type IS NULL OR length(p_event_type) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'event_type: expected 1 to 200 characters' USING ERRCODE = 'JF005';
    END IF;
    IF p_payload IS NULL OR jsonb_typeof(p_payload) <> 'object' THEN
        RAISE EXCEPTION 'event payload must be a JSON object' USING ERRCODE = 'JF005';
    END IF;
    PERFORM jobforge.jobforge_require_tenants(
        'producer', jobforge.jobforge_caller_tenants('producer'), ARRAY[p_tenant_id]);

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
    FROM jobforge.jobforge_triggers t
    WHERE t.tenant_id = p_tenant_id
      AND t.event_type = p_event_type
      AND t.enabled
      AND p_payload @> t.payload_filter;

    IF v_jobs IS NULL THEN
        RETURN;
    END IF;

    RETURN QUERY
    SELECT v_triggers[e.job_index + 1], e.job_id, e.created, (v_jobs -> e.job_index) ->> 'type'
    FROM jobforge.jobforge_enqueue_jobs(v_jobs) e
    ORDER BY e.job_index;
END;
$$;

------------------------------------------------------------------------------------------
-- Reading and maintenance
------------------------------------------------------------------------------------------

-- Counts of jobs per tenant, type and state the calling role may see (row-level security).
CREATE FUNCTION jobforge.jobforge_queue_stats()
RETURNS TABLE (tenant_id uuid, type text, state jobforge.jobforge_job_state, jobs bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT j.tenant_id, j.type, j.state, count(*)
    FROM jobforge.jobforge_jobs j
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
$$;

-- Deletes up to p_limit jobs that finished before now() - p_older_than; their results go
-- with them. Owner only: the supported way results are removed.
CREATE FUNCTION jobforge.jobforge_prune_finished_jobs(p_older_than interval, p_limit integer DEFAULT 10000)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_pruned integer;
BEGIN
    IF p_older_than IS NULL OR p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'older_than must be given and limit must be positive'
            USING ERRCODE = 'JF005';
    END IF;
    PERFORM set_config('jobforge.pruning', 'on', true);
    WITH doomed AS (
        SELECT j.id FROM jobforge.jobforge_jobs j
        WHERE j.state IN ('succeeded', 'dead', 'canceled')
          AND j.finished_at < now() - p_older_than
        ORDER BY j.finished_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ),
    jobs_gone AS (
        DELETE FROM jobforge.jobforge_jobs j USING doomed d WHERE j.id = d.id RETURNING 1
    )
    SELECT count(*) INTO v_pruned FROM jobs_gone;
    PERFORM set_config('jobforge.pruning', 'off', true);
    RETURN v_pruned;
END;
$$;

------------------------------------------------------------------------------------------
-- Privileges, last: exactly what the grants call for
------------------------------------------------------------------------------------------

SELECT jobforge.jobforge_reset_privileges();
