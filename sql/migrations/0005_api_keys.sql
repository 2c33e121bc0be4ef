-- JobForge router, version 5: per-tenant API keys, stored as slow salted hashes.
--
-- * jobforge_api_keys holds one row per key: its id, tenant, name, display prefix, scopes,
--   lifetime (expires_at, revoked_at, replaced_by) and a scrypt hash of the key text with
--   its salt and cost parameters (kept per key, so they can be raised for new keys). The
--   key text itself is never stored anywhere: `jobforge keys issue` makes it, hashes it,
--   and shows it once (docs/integrations/keys.md).
-- * Writes go through SECURITY DEFINER RPCs that a role holding a worker grant for the
--   key's tenant may call (the keys runner's `jobforge.keys.store` connector runs in the
--   worker): insert, list, rotate, revoke. Each checks its caller first and names the
--   tenant it acts for; nothing else writes the table but the owner.
-- * A role holding a producer grant may read its tenants' keys' metadata, never the hash
--   columns (column privileges; row-level security picks the rows).
-- * jobforge_authenticate_api_key (look a key up by id for the HTTP ingress: tenant,
--   scopes, hash material, validity) is callable by the owner and by the roles the owner
--   names key verifiers (jobforge_grant_key_verifier), and by nobody else.
-- * Privileges: the router's jobforge_sync_role_privileges and jobforge_reset_privileges
--   (versions 3 and 4) keep their bodies under new names, jobforge_sync_router_privileges
--   and jobforge_reset_router_privileges; the functions of the old names now call them and
--   then add what API keys need. A later migration changing the router's privileges
--   replaces jobforge_sync_router_privileges, not the wrapper.
--
-- Error codes: JF003 (the caller may not act for that tenant, or may not authenticate
-- keys), JF005 (invalid argument), as in version 3.

------------------------------------------------------------------------------------------
-- The keys
------------------------------------------------------------------------------------------

-- Whether p_scopes is a list of 1 to 50 distinct scopes, each `enqueue:<job type pattern>`
-- (dotted lower-case segments, any of them `*`), `read:jobs`, `cancel:jobs` or
-- `events:fire`. The pattern is jobforge.keys.scopes.SCOPE_PATTERN's (a test keeps them
-- equal); no backslash, so standard_conforming_strings cannot change it.
CREATE FUNCTION jobforge.jobforge_api_key_scopes_valid(p_scopes text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT p_scopes IS NOT NULL
       AND array_ndims(p_scopes) = 1
       AND cardinality(p_scopes) BETWEEN 1 AND 50
       AND NOT EXISTS (
           SELECT 1 FROM unnest(p_scopes) AS s(scope)
           WHERE s.scope IS NULL
              OR length(s.scope) > 208
              OR s.scope !~ '^(enqueue:([*]|[a-z0-9][a-z0-9_-]*)([.]([*]|[a-z0-9][a-z0-9_-]*))*|read:jobs|cancel:jobs|events:fire)$')
       AND (SELECT count(DISTINCT s.scope) FROM unnest(p_scopes) AS s(scope)) = cardinality(p_scopes)
$$;

CREATE TABLE jobforge.jobforge_api_keys (
    key_id         uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL,
    name           text NOT NULL,
    -- The start of the key text, shown in lists: 'jf_' and the key id's first 12 hex digits.
    prefix         text NOT NULL,
    scopes         text[] NOT NULL,
    -- scrypt(key text, salt, N = kdf_n, r = kdf_r, p = kdf_p), 32 bytes.
    kdf            text NOT NULL,
    kdf_n          integer NOT NULL,
    kdf_r          integer NOT NULL,
    kdf_p          integer NOT NULL,
    salt           bytea NOT NULL,
    hash           bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz,
    revoked_at     timestamptz,
    revoked_reason text,
    -- Set by a rotation: the key that replaced this one (which then expires after a grace period).
    replaced_by    uuid REFERENCES jobforge.jobforge_api_keys (key_id),
    -- Names and reasons are shown in terminals: no control characters.
    CONSTRAINT jobforge_api_keys_name_text
        CHECK (length(name) BETWEEN 1 AND 200 AND name !~ '[[:cntrl:]]'),
    CONSTRAINT jobforge_api_keys_prefix
        CHECK (prefix = 'jf_' || left(replace(key_id::text, '-', ''), 12)),
    CONSTRAINT jobforge_api_keys_scopes CHECK (jobforge.jobforge_api_key_scopes_valid(scopes)),
    CONSTRAINT jobforge_api_keys_kdf CHECK (
        kdf = 'scrypt'
        AND kdf_n BETWEEN 16384 AND 262144 AND (kdf_n & (kdf_n - 1)) = 0
        AND kdf_r BETWEEN 1 AND 16 AND kdf_p BETWEEN 1 AND 4),
    CONSTRAINT jobforge_api_keys_salt_length CHECK (octet_length(salt) BETWEEN 16 AND 64),
    CONSTRAINT jobforge_api_keys_hash_length CHECK (octet_length(hash) = 32),
    CONSTRAINT jobforge_api_keys_reason_text
        CHECK (length(revoked_reason) BETWEEN 1 AND 500 AND revoked_reason !~ '[[:cntrl:]]'),
    CONSTRAINT jobforge_api_keys_not_replaced_by_itself CHECK (replaced_by <> key_id)
);

CREATE INDEX jobforge_api_keys_tenant_idx
    ON jobforge.jobforge_api_keys (tenant_id, created_at, key_id);

ALTER TABLE jobforge.jobforge_api_keys ENABLE ROW LEVEL SECURITY;

-- Producers read their tenants' keys (the columns they are granted: no hash, salt or kdf).
CREATE POLICY jobforge_api_keys_read ON jobforge.jobforge_api_keys
    FOR SELECT
    USING (tenant_id = ANY ((SELECT jobforge.jobforge_visible_tenants('producer'))::uuid[]));

-- The roles that may call jobforge_authenticate_api_key (the HTTP ingress's). Owner only.
CREATE TABLE jobforge.jobforge_api_key_verifiers (
    role_name  name PRIMARY KEY,
    granted_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE jobforge.jobforge_api_key_verifiers ENABLE ROW LEVEL SECURITY;

------------------------------------------------------------------------------------------
-- Helpers (owner only)
------------------------------------------------------------------------------------------

-- A key's metadata as the RPCs return it: never the hash, salt or cost parameters.
-- Times are RFC 3339 in UTC whatever the caller's TimeZone.
CREATE FUNCTION jobforge.jobforge_api_key_document(p_key jobforge.jobforge_api_keys)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
SET TimeZone = 'UTC'
AS $$
    SELECT jsonb_build_object(
        'key_id', p_key.key_id,
        'name', p_key.name,
        'prefix', p_key.prefix,
        'scopes', to_jsonb(p_key.scopes),
        'created_at', p_key.created_at,
        'expires_at', p_key.expires_at,
        'revoked_at', p_key.revoked_at,
        'revoked_reason', p_key.revoked_reason,
        'replaced_by', p_key.replaced_by)
$$;

-- Refuses a null tenant, and a caller without a worker grant for p_tenant_id (JF003).
CREATE FUNCTION jobforge.jobforge_require_api_key_writer(p_tenant_id uuid) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION 'tenant_id: expected a UUID, got null' USING ERRCODE = 'JF005';
    END IF;
    PERFORM jobforge.jobforge_require_tenants(
        'worker', jobforge.jobforge_caller_tenants('worker'), ARRAY[p_tenant_id]);
END;
$$;

-- At most this many keys of one tenant are valid at once (not revoked, not expired).
CREATE FUNCTION jobforge.jobforge_api_key_limit() RETURNS integer
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$ SELECT 1000 $$;

-- Inserts a new key of p_tenant_id: checks its scopes, its expiry and the tenant's key
-- limit, then the row's constraints check the rest. The caller holds the tenant's lock.
CREATE FUNCTION jobforge.jobforge_insert_api_key_row(
    p_tenant_id uuid, p_key_id uuid, p_name text, p_prefix text, p_scopes text[],
    p_kdf text, p_kdf_n integer, p_kdf_r integer, p_kdf_p integer, p_salt bytea, p_hash bytea,
    p_expires_at timestamptz
) RETURNS jobforge.jobforge_api_keys
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_inserted jobforge.jobforge_api_keys;
BEGIN
    IF p_key_id IS NULL THEN
        RAISE EXCEPTION 'key_id: expected a UUID, got null' USING ERRCODE = 'JF005';
    END IF;
    IF NOT coalesce(jobforge.jobforge_api_key_scopes_valid(p_scopes), false) THEN
        RAISE EXCEPTION 'scopes: expected 1 to 50 distinct scopes, each enqueue:<job type pattern>, read:jobs, cancel:jobs or events:fire'
            USING ERRCODE = 'JF005',
                  HINT = 'a job type pattern is dotted lower-case segments, any of them *, such as enqueue:acme.billing.*';
    END IF;
    IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at: expected a time in the future, got %', p_expires_at
            USING ERRCODE = 'JF005';
    END IF;
    IF EXISTS (SELECT 1 FROM jobforge.jobforge_api_keys k WHERE k.key_id = p_key_id) THEN
        RAISE EXCEPTION 'API key id % is already taken', p_key_id
            USING ERRCODE = 'JF005', HINT = 'key ids are random: generate a new key';
    END IF;
    IF (SELECT count(*) FROM jobforge.jobforge_api_keys k
        WHERE k.tenant_id = p_tenant_id AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > now())) >= jobforge.jobforge_api_key_limit() THEN
        RAISE EXCEPTION 'tenant % already has % valid API keys', p_tenant_id, jobforge.jobforge_api_key_limit()
            USING ERRCODE = 'JF005', HINT = 'revoke keys that are no longer used';
    END IF;
    INSERT INTO jobforge.jobforge_api_keys AS k (
        key_id, tenant_id, name, prefix, scopes, kdf, kdf_n, kdf_r, kdf_p, salt, hash, expires_at)
    VALUES (p_key_id, p_tenant_id, p_name, p_prefix, p_scopes, p_kdf, p_kdf_n, p_kdf_r, p_kdf_p,
            p_salt, p_hash, p_expires_at)
    RETURNING k.* INTO v_inserted;
    RETURN v_inserted;
END;
$$;

-- Serialises the key writes of one tenant (the key limit is checked, then a key inserted).
CREATE FUNCTION jobforge.jobforge_lock_api_keys_of(p_tenant_id uuid) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
    SELECT pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('jobforge_api_keys/' || p_tenant_id::text, 0))
$$;

------------------------------------------------------------------------------------------
-- Keeping keys (workers holding the tenant's worker grant: the keys runner's store)
------------------------------------------------------------------------------------------

-- Stores a new key of p_tenant_id. Calling it again with the same key (a retried attempt)
-- returns the stored key with created = false; another key under a taken id is refused.
CREATE FUNCTION jobforge.jobforge_insert_api_key(
    p_tenant_id uuid, p_key_id uuid, p_name text, p_prefix text, p_scopes text[],
    p_kdf text, p_kdf_n integer, p_kdf_r integer, p_kdf_p integer, p_salt bytea, p_hash bytea,
    p_expires_at timestamptz DEFAULT NULL
) RETURNS TABLE (created boolean, api_key jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_key jobforge.jobforge_api_keys;
BEGIN
    PERFORM jobforge.jobforge_require_api_key_writer(p_tenant_id);
    PERFORM jobforge.jobforge_lock_api_keys_of(p_tenant_id);
    SELECT * INTO v_key FROM jobforge.jobforge_api_keys k
    WHERE k.key_id = p_key_id AND k.tenant_id = p_tenant_id AND k.name = p_name
      AND k.prefix = p_prefix AND k.scopes = p_scopes AND k.kdf = p_kdf AND k.kdf_n = p_kdf_n
      AND k.kdf_r = p_kdf_r AND k.kdf_p = p_kdf_p AND k.salt = p_salt AND k.hash = p_hash
      AND k.expires_at IS NOT DISTINCT FROM p_expires_at;
    IF FOUND THEN
        RETURN QUERY SELECT false, jobforge.jobforge_api_key_document(v_key);
        RETURN;
    END IF;
    v_key := jobforge.jobforge_insert_api_key_row(
        p_tenant_id, p_key_id, p_name, p_prefix, p_scopes, p_kdf, p_kdf_n, p_kdf_r, p_kdf_p,
        p_salt, p_hash, p_expires_at);
    RETURN QUERY SELECT true, jobforge.jobforge_api_key_document(v_key);
END;
$$;

-- The keys of p_tenant_id, oldest first, at most p_limit (1 to 10000): all of them, or
-- with p_valid_at only those valid then (not revoked, not expired by that time).
CREATE FUNCTION jobforge.jobforge_list_api_keys(
    p_tenant_id uuid, p_valid_at timestamptz DEFAULT NULL, p_limit integer DEFAULT 1000
) RETURNS TABLE (api_key jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    PERFORM jobforge.jobforge_require_api_key_writer(p_tenant_id);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'limit must be between 1 and 10000, got %', p_limit USING ERRCODE = 'JF005';
    END IF;
    RETURN QUERY
    SELECT jobforge.jobforge_api_key_document(k)
    FROM jobforge.jobforge_api_keys k
    WHERE k.tenant_id = p_tenant_id
      AND (p_valid_at IS NULL OR (
           (k.revoked_at IS NULL OR k.revoked_at > p_valid_at)
           AND (k.expires_at IS NULL OR k.expires_at > p_valid_at)))
    ORDER BY k.created_at, k.key_id
    LIMIT p_limit;
END;
$$;

-- Replaces key p_key_id of p_tenant_id with a new key (p_new_key_id and its hash) of the
-- same name and scopes: the old key stays valid until p_old_expires_at (now + the grace
-- period; never later than it would have expired anyway, and at most 31 days from now),
-- the new one until p_new_expires_at, or the old key's expiry when that is null.
-- outcome: rotated; already_rotated (this rotation was done before: a retried attempt);
-- or, changing nothing, not_found, revoked, expired, replaced (rotated to another key).
CREATE FUNCTION jobforge.jobforge_rotate_api_key(
    p_tenant_id uuid, p_key_id uuid, p_new_key_id uuid, p_new_prefix text,
    p_kdf text, p_kdf_n integer, p_kdf_r integer, p_kdf_p integer, p_salt bytea, p_hash bytea,
    p_old_expires_at timestamptz, p_new_expires_at timestamptz DEFAULT NULL
) RETURNS TABLE (outcome text, old_key jsonb, new_key jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_old jobforge.jobforge_api_keys;
    v_new jobforge.jobforge_api_keys;
BEGIN
    PERFORM jobforge.jobforge_require_api_key_writer(p_tenant_id);
    IF p_old_expires_at IS NULL OR p_old_expires_at > now() + interval '31 days' THEN
        RAISE EXCEPTION 'old_expires_at: expected a time at most 31 days from now, got %',
            coalesce(p_old_expires_at::text, 'null')
            USING ERRCODE = 'JF005', HINT = 'the grace period of a rotation is at most 30 days';
    END IF;
    PERFORM jobforge.jobforge_lock_api_keys_of(p_tenant_id);
    SELECT * INTO v_old FROM jobforge.jobforge_api_keys k
    WHERE k.key_id = p_key_id AND k.tenant_id = p_tenant_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::jsonb;
        RETURN;
    END IF;
    IF v_old.replaced_by = p_new_key_id THEN
        SELECT * INTO v_new FROM jobforge.jobforge_api_keys k
        WHERE k.key_id = p_new_key_id AND k.salt = p_salt AND k.hash = p_hash;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'API key % was rotated to key % with other hash material', p_key_id, p_new_key_id
                USING ERRCODE = 'JF005';
        END IF;
        RETURN QUERY SELECT 'already_rotated'::text, jobforge.jobforge_api_key_document(v_old),
                            jobforge.jobforge_api_key_document(v_new);
        RETURN;
    END IF;
    IF v_old.revoked_at IS NOT NULL OR v_old.replaced_by IS NOT NULL
       OR v_old.expires_at <= now() THEN
        RETURN QUERY SELECT CASE WHEN v_old.revoked_at IS NOT NULL THEN 'revoked'
                                 WHEN v_old.replaced_by IS NOT NULL THEN 'replaced'
                                 ELSE 'expired' END,
                            jobforge.jobforge_api_key_document(v_old), NULL::jsonb;
        RETURN;
    END IF;
    v_new := jobforge.jobforge_insert_api_key_row(
        p_tenant_id, p_new_key_id, v_old.name, p_new_prefix, v_old.scopes, p_kdf, p_kdf_n,
        p_kdf_r, p_kdf_p, p_salt, p_hash, coalesce(p_new_expires_at, v_old.expires_at));
    UPDATE jobforge.jobforge_api_keys k
    SET expires_at = CASE WHEN k.expires_at IS NULL THEN greatest(p_old_expires_at, now())
                          ELSE least(k.expires_at, greatest(p_old_expires_at, now())) END,
        replaced_by = p_new_key_id
    WHERE k.key_id = p_key_id
    RETURNING k.* INTO v_old;
    RETURN QUERY SELECT 'rotated'::text, jobforge.jobforge_api_key_document(v_old),
                        jobforge.jobforge_api_key_document(v_new);
END;
$$;

-- Revokes key p_key_id of p_tenant_id at once (a key in its grace period too), recording
-- p_reason. outcome: revoked, already_revoked (the first revocation's time and reason
-- stay), or not_found (api_key null).
CREATE FUNCTION jobforge.jobforge_revoke_api_key(
    p_tenant_id uuid, p_key_id uuid, p_reason text DEFAULT NULL
) RETURNS TABLE (outcome text, api_key jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_key jobforge.jobforge_api_keys;
BEGIN
    PERFORM jobforge.jobforge_require_api_key_writer(p_tenant_id);
    UPDATE jobforge.jobforge_api_keys k
    SET revoked_at = now(), revoked_reason = p_reason
    WHERE k.key_id = p_key_id AND k.tenant_id = p_tenant_id AND k.revoked_at IS NULL
    RETURNING k.* INTO v_key;
    IF FOUND THEN
        RETURN QUERY SELECT 'revoked'::text, jobforge.jobforge_api_key_document(v_key);
        RETURN;
    END IF;
    SELECT * INTO v_key FROM jobforge.jobforge_api_keys k
    WHERE k.key_id = p_key_id AND k.tenant_id = p_tenant_id;
    IF FOUND THEN
        RETURN QUERY SELECT 'already_revoked'::text, jobforge.jobforge_api_key_document(v_key);
    ELSE
        RETURN QUERY SELECT 'not_found'::text, NULL::jsonb;
    END IF;
END;
$$;

------------------------------------------------------------------------------------------
-- Authenticating keys (the owner and key verifiers: the HTTP ingress)
------------------------------------------------------------------------------------------

-- Whether the calling role may authenticate keys: a superuser, the owner (or a role with
-- its privileges), or a role with the privileges of a key verifier. The caller is found
-- as jobforge_caller_tenants finds it.
CREATE FUNCTION jobforge.jobforge_caller_is_key_verifier() RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_caller record;
BEGIN
    SELECT r.oid, r.rolsuper INTO v_caller
    FROM pg_catalog.pg_roles r WHERE r.rolname = jobforge.jobforge_calling_role();
    IF NOT FOUND OR NOT pg_catalog.pg_has_role(session_user, v_caller.oid, 'MEMBER') THEN
        RETURN false;
    END IF;
    IF v_caller.rolsuper OR pg_catalog.pg_has_role(
            v_caller.oid,
            (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'jobforge.jobforge_api_keys'::regclass),
            'USAGE') THEN
        RETURN true;
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM jobforge.jobforge_api_key_verifiers v
        JOIN pg_catalog.pg_roles r ON r.rolname = v.role_name
        WHERE pg_catalog.pg_has_role(v_caller.oid, r.oid, 'USAGE'));
END;
$$;

-- What the ingress needs to check a presented key with id p_key_id: its tenant, scopes,
-- hash material and status at the database's now() (checked_at): active, expired or
-- revoked. The hash material is given for active keys only. No row: no such key.
CREATE FUNCTION jobforge.jobforge_authenticate_api_key(p_key_id uuid)
RETURNS TABLE (
    key_id uuid, tenant_id uuid, scopes text[], kdf text, kdf_n integer, kdf_r integer,
    kdf_p integer, salt bytea, hash bytea, expires_at timestamptz, status text,
    checked_at timestamptz
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    IF NOT jobforge.jobforge_caller_is_key_verifier() THEN
        RAISE EXCEPTION 'role % may not authenticate API keys', jobforge.jobforge_calling_role()
            USING ERRCODE = 'JF003',
                  HINT = 'the JobForge owner names key verifiers: jobforge keys grant-verifier ROLE';
    END IF;
    RETURN QUERY
    SELECT k.key_id, k.tenant_id, k.scopes, k.kdf, k.kdf_n, k.kdf_r, k.kdf_p,
           CASE WHEN s.status = 'active' THEN k.salt END,
           CASE WHEN s.status = 'active' THEN k.hash END,
           k.expires_at, s.status, now()
    FROM jobforge.jobforge_api_keys k,
         LATERAL (SELECT CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                              WHEN k.expires_at <= now() THEN 'expired'
                              ELSE 'active' END AS status) AS s
    WHERE k.key_id = p_key_id;
END;
$$;

------------------------------------------------------------------------------------------
-- Privileges: the router's, then what API keys need
------------------------------------------------------------------------------------------

ALTER FUNCTION jobforge.jobforge_sync_role_privileges(name)
    RENAME TO jobforge_sync_router_privileges;
ALTER FUNCTION jobforge.jobforge_reset_privileges()
    RENAME TO jobforge_reset_router_privileges;

-- The router's privileges for p_role (jobforge_sync_router_privileges, which first revokes
-- everything the role held on JobForge objects, column privileges included), then: SELECT
-- on the metadata columns of jobforge_api_keys for a producer grant, the key RPCs for a
-- worker grant, and USAGE on the schema with jobforge_authenticate_api_key for a key
-- verifier. The owner and superusers are left alone.
CREATE FUNCTION jobforge.jobforge_sync_role_privileges(p_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_role     oid;
    v_function text;
BEGIN
    PERFORM jobforge.jobforge_sync_router_privileges(p_role);
    SELECT r.oid INTO v_role FROM pg_catalog.pg_roles r
    WHERE r.rolname = p_role AND NOT r.rolsuper;
    IF v_role IS NULL OR pg_catalog.pg_has_role(
            v_role, (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'jobforge'),
            'USAGE') THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM jobforge.jobforge_tenant_grants g
               WHERE g.role_name = p_role AND g.kind = 'producer') THEN
        EXECUTE format('GRANT SELECT (key_id, tenant_id, name, prefix, scopes, created_at, '
                       'expires_at, revoked_at, revoked_reason, replaced_by) '
                       'ON jobforge.jobforge_api_keys TO %I', p_role);
    END IF;
    IF EXISTS (SELECT 1 FROM jobforge.jobforge_tenant_grants g
               WHERE g.role_name = p_role AND g.kind = 'worker') THEN
        FOREACH v_function IN ARRAY ARRAY[
            'jobforge_insert_api_key(uuid, uuid, text, text, text[], text, integer, integer, integer, bytea, bytea, timestamptz)',
            'jobforge_list_api_keys(uuid, timestamptz, integer)',
            'jobforge_rotate_api_key(uuid, uuid, uuid, text, text, integer, integer, integer, bytea, bytea, timestamptz, timestamptz)',
            'jobforge_revoke_api_key(uuid, uuid, text)'
        ] LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION jobforge.%s TO %I', v_function, p_role);
        END LOOP;
    END IF;
    IF EXISTS (SELECT 1 FROM jobforge.jobforge_api_key_verifiers v WHERE v.role_name = p_role) THEN
        EXECUTE format('GRANT USAGE ON SCHEMA jobforge TO %I', p_role);
        EXECUTE format('GRANT EXECUTE ON FUNCTION jobforge.jobforge_authenticate_api_key(uuid) TO %I',
                       p_role);
    END IF;
END;
$$;

-- The router's reset (every privilege on every JobForge object revoked from every role
-- but the owner, then each granted role synced), with column privileges revoked first (the
-- router's reset finds grantees by table, function and schema privileges only) and key
-- verifiers synced last. Run at the end of every migration.
CREATE FUNCTION jobforge.jobforge_reset_privileges() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_schema oid := 'jobforge'::regnamespace;
    v_owner  oid := (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.oid = v_schema);
    v_name   text;
BEGIN
    FOR v_name IN
        SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                             ELSE quote_ident(r.rolname) END
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid,
             LATERAL aclexplode(att.attacl) AS a
        LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
        WHERE c.relnamespace = v_schema AND att.attacl IS NOT NULL AND a.grantee <> v_owner
    LOOP
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA jobforge FROM %s CASCADE', v_name);
    END LOOP;
    PERFORM jobforge.jobforge_reset_router_privileges();
    FOR v_name IN
        SELECT v.role_name FROM jobforge.jobforge_api_key_verifiers v
        WHERE NOT EXISTS (SELECT 1 FROM jobforge.jobforge_tenant_grants g
                          WHERE g.role_name = v.role_name)
    LOOP
        PERFORM jobforge.jobforge_sync_role_privileges(v_name);
    END LOOP;
END;
$$;

-- Lets p_role call jobforge_authenticate_api_key (and nothing else it was not granted).
CREATE FUNCTION jobforge.jobforge_grant_key_verifier(p_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = p_role) THEN
        RAISE EXCEPTION 'role % does not exist', p_role USING ERRCODE = 'JF005';
    END IF;
    INSERT INTO jobforge.jobforge_api_key_verifiers (role_name) VALUES (p_role)
    ON CONFLICT DO NOTHING;
    PERFORM jobforge.jobforge_sync_role_privileges(p_role);
END;
$$;

-- Withdraws what jobforge_grant_key_verifier gave p_role; true if it was a key verifier.
CREATE FUNCTION jobforge.jobforge_revoke_key_verifier(p_role name) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, jobforge, pg_temp
AS $$
DECLARE
    v_removed boolean;
BEGIN
    DELETE FROM jobforge.jobforge_api_key_verifiers v WHERE v.role_name = p_role;
    v_removed := FOUND;
    PERFORM jobforge.jobforge_sync_role_privileges(p_role);
    RETURN v_removed;
END;
$$;

SELECT jobforge.jobforge_reset_privileges();
