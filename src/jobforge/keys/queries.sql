-- The API key library's queries, one named block each (the format of jobforge/db/queries.sql,
-- parsed by the same parser). Parameters are %(name)s placeholders; values are never
-- interpolated.

-- insert_api_key --
-- Store a new key of a tenant (or find it again); (created, api_key).
SELECT created, api_key
FROM jobforge.jobforge_insert_api_key(
    %(tenant_id)s::uuid, %(key_id)s::uuid, %(name)s::text, %(prefix)s::text, %(scopes)s::text[],
    %(kdf)s::text, %(kdf_n)s::integer, %(kdf_r)s::integer, %(kdf_p)s::integer,
    %(salt)s::bytea, %(hash)s::bytea, %(expires_at)s::timestamptz);

-- list_api_keys --
-- A tenant's keys, oldest first: all, or those valid at valid_at; at most row_limit.
SELECT api_key
FROM jobforge.jobforge_list_api_keys(
    %(tenant_id)s::uuid, %(valid_at)s::timestamptz, %(row_limit)s::integer);

-- rotate_api_key --
-- Replace a key with a new one, the old one valid until old_expires_at; (outcome, old_key, new_key).
SELECT outcome, old_key, new_key
FROM jobforge.jobforge_rotate_api_key(
    %(tenant_id)s::uuid, %(key_id)s::uuid, %(new_key_id)s::uuid, %(new_prefix)s::text,
    %(kdf)s::text, %(kdf_n)s::integer, %(kdf_r)s::integer, %(kdf_p)s::integer,
    %(salt)s::bytea, %(hash)s::bytea, %(old_expires_at)s::timestamptz,
    %(new_expires_at)s::timestamptz);

-- revoke_api_key --
-- Revoke a key at once; (outcome, api_key).
SELECT outcome, api_key
FROM jobforge.jobforge_revoke_api_key(%(tenant_id)s::uuid, %(key_id)s::uuid, %(reason)s::text);

-- authenticate_api_key --
-- What checking a presented key needs: tenant, scopes, hash material (active keys only), status.
SELECT key_id, tenant_id, scopes, kdf, kdf_n, kdf_r, kdf_p, salt, hash, expires_at, status,
       checked_at
FROM jobforge.jobforge_authenticate_api_key(%(key_id)s::uuid);

-- api_key_tenant --
-- The tenant of a key the connected role may read (its producer tenants' keys; any, as the owner).
SELECT tenant_id FROM jobforge.jobforge_api_keys WHERE key_id = %(key_id)s::uuid;

-- grant_key_verifier --
-- Let a role authenticate API keys (owner only).
SELECT jobforge.jobforge_grant_key_verifier(%(role)s::name);

-- revoke_key_verifier --
-- Withdraw it; whether the role was a key verifier (owner only).
SELECT jobforge.jobforge_revoke_key_verifier(%(role)s::name) AS revoked;
