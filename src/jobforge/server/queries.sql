-- The HTTP ingress's queries, one named block each (the format of jobforge/db/queries.sql,
-- parsed by the same parser). Parameters are %(name)s placeholders; identifiers are
-- composed with psycopg.sql.Identifier ({role}, {login}), never interpolated as text.

-- act_as_role --
-- SET LOCAL ROLE, with the role as a bound value: refused unless the login role is a member.
SELECT pg_catalog.set_config('role', %(role)s, true);

-- ping --
-- Whether the database answers (health checks).
SELECT 1 AS ok;

-- role_inherits --
-- Whether a role exists and inherits its memberships' privileges; no row: no such role.
SELECT rolinherit FROM pg_catalog.pg_roles WHERE rolname = %(role)s;

-- create_tenant_role --
-- A tenant's producer role for the ingress: no login, nothing inherited, idempotent.
DO $$
BEGIN
    CREATE ROLE {role} NOLOGIN NOINHERIT;
EXCEPTION WHEN duplicate_object THEN
    NULL;
END;
$$;

-- grant_role_to_login --
-- Let the server's login role SET ROLE to the tenant's producer role.
GRANT {role} TO {login};

-- revoke_role_from_login --
-- Withdraw that membership.
REVOKE {role} FROM {login};
