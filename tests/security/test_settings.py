"""Every setting a tenant can set, set against JobForge.

Identity comes only from the role PostgreSQL authenticated (or one it may SET ROLE to);
JobForge's SQL reads no other setting to decide anything, and its functions pin the ones
that change how SQL is resolved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.security.conftest import PERMISSION_DENIED, World, attempt
from tests.security.test_shadowing import probes

# What these attacks meet is function bodies, the same under any default privileges (the
# catalogue tests prove the privileges equal), so they run on the plain database only.
pytestmark = pytest.mark.parametrize("database_url", ["plain"], indirect=True)


Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]

# Settings a tenant can set, with values meant to widen what it reaches or change how
# JobForge's SQL reads. {b} is the victim tenant.
SETTINGS = [
    "SET jobforge.tenant = '{b}'",
    "SET jobforge.tenant_id = '{b}'",
    "SET app.tenant_id = '{b}'",
    "SET jobforge.pruning = 'on'",
    "SELECT set_config('request.jwt.claims', "
    '\'{{"tenant_id": "{b}", "role": "postgres"}}\', false)',
    "SELECT set_config('request.jwt.claim.role', 'postgres', false)",
    "SET search_path = pg_temp, public",
    "SET search_path = ''",
    "SET enable_sort = on",
    "SET enable_indexscan = off",
    "SET plpgsql.variable_conflict = use_column",
    "SET plpgsql.variable_conflict = use_variable",
    "SET standard_conforming_strings = off",
    "SET DateStyle = 'ISO, DMY'",
    "SET IntervalStyle = 'sql_standard'",
    "SET TimeZone = 'Pacific/Kiritimati'",
    "SET extra_float_digits = -15",
    "SET default_transaction_isolation = 'serializable'",
    "SET jit = on",
    # Plain reads then fail ("would be affected by row-level security"); the RPCs run as
    # their owner, whom it never filtered, and check grants themselves.
    "SET row_security = off",
]


@pytest.mark.parametrize("setting", SETTINGS)
def test_settings_widen_nothing(world: World, attack: Attack, setting: str) -> None:
    connections = {kind: attack(kind) for kind in ("producer", "worker")}
    for conn in connections.values():
        conn.execute(setting.format(b=world.tenant_b))
    for kind, statement, params in probes(world):
        outcome = attempt(connections[kind], statement, params)
        if isinstance(outcome, psycopg.Error):
            assert outcome.sqlstate in {"JF003", "JF004", PERMISSION_DENIED}, (setting, outcome)
            continue
        world.assert_nothing_leaked(outcome)
    # And the tenant's own work still goes through.
    own = attempt(
        connections["producer"],
        "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{\"n\": 1}')",
        (world.tenant_a,),
    )
    assert not isinstance(own, Exception), own
    assert own[0]["created"]


@pytest.mark.parametrize(
    "statement",
    [
        "SET ROLE {victim}",
        "SET ROLE {owner}",
        "SELECT set_config('role', '{victim}', false)",
        "SET SESSION AUTHORIZATION {owner}",
        "SET session_replication_role = replica",
        "SET row_security = off; SELECT * FROM jobforge.jobforge_jobs",
    ],
)
def test_switching_identity_or_bypassing_checks_is_refused(
    world: World, attack: Attack, statement: str
) -> None:
    conn = attack("producer")
    with psycopg.connect(world.owner_url) as owner:
        names = owner.execute(
            "SELECT current_user, (SELECT min(role_name) FROM jobforge.jobforge_tenant_grants "
            "WHERE tenant_id = %s)",
            (world.tenant_b,),
        ).fetchone()
    assert names is not None
    outcome = None
    for part in statement.format(owner=names[0], victim=names[1]).split("; "):
        outcome = attempt(conn, part)
        if isinstance(outcome, psycopg.Error):
            break
    assert isinstance(outcome, psycopg.Error), statement
    assert outcome.sqlstate in {PERMISSION_DENIED, "42501"}


def test_the_pruning_flag_unlocks_nothing_for_a_tenant(world: World, attack: Attack) -> None:
    conn = attack("producer")
    conn.execute("SET jobforge.pruning = 'on'")
    for statement in (
        "DELETE FROM jobforge.jobforge_job_results",
        "DELETE FROM jobforge.jobforge_jobs",
        "SELECT jobforge.jobforge_prune_finished_jobs(interval '0 seconds')",
    ):
        outcome = attempt(conn, statement)
        assert isinstance(outcome, psycopg.Error), statement
        assert outcome.sqlstate == PERMISSION_DENIED
