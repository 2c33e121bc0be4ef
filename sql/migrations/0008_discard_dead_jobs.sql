-- JobForge router: discarding a dead letter (`jobforge dead-letter discard`, the dashboard's
-- Cancel on a dead job).
--
-- * jobforge_discard_job moves a dead job to canceled: it leaves the dead-letter queue and
--   no worker claims it. What it recorded stays: last_error, finished_at, attempts and
--   every attempt's result. A job in any other state is returned as it stands, unchanged
--   (jobforge_cancel_job cancels unfinished jobs; a succeeded or canceled job stays so).
--   A discarded job can still be run again on purpose with jobforge_requeue_job, as any
--   canceled job can.
-- * The caller's producer grants decide, as for jobforge_cancel_job: a job of a tenant the
--   caller holds no producer grant for is not found (JF004), whether it exists or not.
-- * Privileges: jobforge_sync_role_privileges (of the migrations before this one) keeps its
--   body under the name jobforge_sync_role_privileges_before_discard; the function of the
--   old name calls it, then grants the discard RPC to producer roles.
--
-- Error codes: JF004 (job not found, or not visible to the calling role), as in version 3.

-- Moves a dead job to canceled (updated_at now; finished_at, last_error and its results
-- kept). Returns the job as it now stands; a job in another state is returned unchanged.
CREATE FUNCTION jobforge.jobforge_discard_job(p_job_id uuid) RETURNS SETOF jobforge.jobforge_jobs
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_allowed uuid[] := jobforge.jobforge_caller_tenants('producer');
BEGIN
    RETURN QUERY
    UPDATE jobforge.jobforge_jobs j
    SET state = 'canceled', updated_at = now()
    WHERE j.id = p_job_id AND j.state = 'dead'
      AND (v_allowed IS NULL OR j.tenant_id = ANY (v_allowed))
    RETURNING j.*;
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM jobforge.jobforge_job_as_it_stands(p_job_id, v_allowed);
    END IF;
END;
$$;

------------------------------------------------------------------------------------------
-- Privileges: those of the migrations before, then the discard RPC for producer grants
------------------------------------------------------------------------------------------

ALTER FUNCTION jobforge.jobforge_sync_role_privileges(name)
    RENAME TO jobforge_sync_role_privileges_before_discard;

-- What jobforge_sync_role_privileges_before_discard gives p_role (it first revokes
-- everything the role held on JobForge objects), then EXECUTE on jobforge_discard_job for
-- a producer grant. The owner and superusers are left alone. Every grant, revoke and
-- reset calls it by this name.
CREATE FUNCTION jobforge.jobforge_sync_role_privileges(p_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_role oid;
BEGIN
    PERFORM jobforge.jobforge_sync_role_privileges_before_discard(p_role);
    SELECT r.oid INTO v_role FROM pg_catalog.pg_roles r
    WHERE r.rolname = p_role AND NOT r.rolsuper;
    IF v_role IS NULL OR pg_catalog.pg_has_role(
            v_role, (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'jobforge'),
            'USAGE') THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM jobforge.jobforge_tenant_grants g
               WHERE g.role_name = p_role AND g.kind = 'producer') THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION jobforge.jobforge_discard_job(uuid) TO %I',
                       p_role);
    END IF;
END;
$$;

SELECT jobforge.jobforge_reset_privileges();
