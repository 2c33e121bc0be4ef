"""Checks of the schema itself: migrations, row-level security, search paths, privileges."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg

from jobforge.db.migrations import load_migrations
from jobforge.doctor.queries import doctor_query
from jobforge.doctor.results import CheckResult, failed, listed, passed, warned

Connection = psycopg.Connection[dict[str, Any]]
PINNED_SEARCH_PATH = "pg_catalog, jobforge, pg_temp"
RESET_PRIVILEGES = (
    "as the owner, run SELECT jobforge.jobforge_reset_privileges(); it gives every role "
    "exactly what its tenant grants call for and revokes the rest"
)


def check_migrations(conn: Connection) -> CheckResult:
    """Every shipped migration applied, none changed since, none unknown to this JobForge."""
    name = "migrations"
    shipped = load_migrations()
    found = conn.execute(doctor_query("history_exists")).fetchone()
    if found is None or not found["found"]:
        return failed(
            name,
            "no JobForge migration history in this database",
            "run `jobforge migrate` (a schema applied by hand is recognised and recorded)",
            applied=0,
            shipped=len(shipped),
        )
    recorded = {row["version"]: row for row in conn.execute(doctor_query("migration_history"))}
    known = {migration.version: migration for migration in shipped}
    unknown = [f"{v:04d}_{recorded[v]['name']}" for v in sorted(recorded) if v not in known]
    changed = [
        m.filename
        for m in shipped
        if m.version in recorded and recorded[m.version]["checksum"] != m.checksum
    ]
    pending = [m.filename for m in shipped if m.version not in recorded]
    facts = {
        "applied": len(recorded),
        "shipped": len(shipped),
        "changed": changed,
        "pending": pending,
        "unknown": unknown,
    }
    if unknown:
        return failed(
            name,
            f"the database has migrations this JobForge does not ship: {listed(unknown)}",
            "upgrade JobForge to the version that migrated this database",
            **facts,
        )
    if changed:
        return failed(
            name,
            "applied migrations differ from the shipped files (recorded checksum): "
            f"{listed(changed)}",
            "install the JobForge that applied them; applied migrations are never edited "
            "(a change goes in a new migration file)",
            **facts,
        )
    if pending:
        return failed(
            name,
            f"{len(pending)} migration(s) not applied: {listed(pending)}",
            "run `jobforge migrate`",
            **facts,
        )
    return passed(
        name, f"all {len(shipped)} migrations applied, checksums match the shipped files", **facts
    )


def check_row_level_security(conn: Connection) -> CheckResult:
    """Row-level security on every JobForge table, and forced on none.

    Forcing it would subject the owner, whose SECURITY DEFINER functions run the queue, to
    the tenants' policies: they would see no tenant's rows and the router would stop.
    """
    name = "row_level_security"
    rows = conn.execute(doctor_query("table_security")).fetchall()
    disabled = [row["table_name"] for row in rows if not row["enabled"]]
    forced = [row["table_name"] for row in rows if row["forced"]]
    facts = {"tables": len(rows), "disabled": disabled, "forced": forced}
    if disabled:
        statements = "; ".join(
            f"ALTER TABLE jobforge.{table} ENABLE ROW LEVEL SECURITY" for table in disabled
        )
        return failed(
            name,
            f"row-level security is off on {listed(disabled)}: tenant roles may read every "
            "tenant's rows there",
            f"as the owner: {statements}",
            **facts,
        )
    if forced:
        statements = "; ".join(
            f"ALTER TABLE jobforge.{table} NO FORCE ROW LEVEL SECURITY" for table in forced
        )
        return failed(
            name,
            f"row-level security is forced on {listed(forced)}: the owner's functions see no "
            "tenant's rows there, so the router cannot work",
            f"as the owner: {statements}",
            **facts,
        )
    return passed(
        name, f"enabled on all {len(rows)} tables, forced on none (the owner runs the queue)",
        **facts,
    )  # fmt: skip


def check_search_paths(conn: Connection) -> CheckResult:
    """Every JobForge function pins ``search_path = pg_catalog, jobforge, pg_temp``."""
    name = "function_search_path"
    rows = conn.execute(doctor_query("function_settings")).fetchall()
    unpinned = [row["signature"] for row in rows if row["search_path"] is None]
    other = [
        f"{row['signature']} ({row['search_path']})"
        for row in rows
        if row["search_path"] is not None and row["search_path"] != PINNED_SEARCH_PATH
    ]
    facts = {"functions": len(rows), "unpinned": unpinned, "other_search_path": other}
    if unpinned or other:
        wrong = unpinned + other
        return failed(
            name,
            f"{len(wrong)} function(s) do not pin search_path = {PINNED_SEARCH_PATH}: "
            f"{listed(wrong)}; objects a caller creates could stand in for JobForge's",
            f"as the owner: ALTER FUNCTION <signature> SET search_path = {PINNED_SEARCH_PATH} "
            "(or run `jobforge migrate` on a fresh database and compare)",
            **facts,
        )
    return passed(
        name, f"all {len(rows)} functions pin search_path = {PINNED_SEARCH_PATH}", **facts
    )


def check_function_privileges(conn: Connection) -> CheckResult:
    """Who may call which function: nothing for PUBLIC, nothing for roles without a grant."""
    name = "function_privileges"
    grants: dict[str, set[str]] = defaultdict(set)
    for row in conn.execute(doctor_query("granted_roles")):
        grants[row["role_name"]].add(row["kind"])
    callable_by: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(doctor_query("function_grantees")):
        callable_by[row["grantee"]].append(row["signature"])
    public = callable_by.pop("PUBLIC", [])
    ungranted = sorted(role for role in callable_by if role not in grants)
    kinds = {
        kind: sorted(role for role, held in grants.items() if kind in held)
        for kind in ("producer", "worker", "key_verifier")
    }
    facts: dict[str, Any] = {
        "public_functions": public,
        "roles_without_grants": {role: callable_by[role] for role in ungranted},
        **{f"{kind}_roles": roles for kind, roles in kinds.items()},
    }
    summary = "; ".join(
        f"{kind.replace('_', ' ')} roles: {listed(roles) if roles else 'none'}"
        for kind, roles in kinds.items()
    )
    if public:
        return failed(
            name,
            f"PUBLIC (every role) may call {len(public)} function(s): {listed(public)}",
            RESET_PRIVILEGES,
            **facts,
        )
    if ungranted:
        described = listed([f"{role} ({len(callable_by[role])} function(s))" for role in ungranted])
        return warned(
            name,
            f"roles holding no JobForge grant may call functions: {described}",
            RESET_PRIVILEGES,
            **facts,
        )
    return passed(name, f"PUBLIC may call nothing; {summary}", **facts)
