"""`jobforge grant-tenant` and `revoke-tenant` as an operator types them."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.conftest import TenantRole
from tests.integration.support import connect

JOBFORGE = str(Path(sys.executable).parent / "jobforge")


def jobforge(*arguments: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [JOBFORGE, *arguments], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def kinds(database_url: str, role: str) -> list[str]:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT kind FROM jobforge.jobforge_tenant_grants WHERE role_name = %s ORDER BY 1",
            (role,),
        ).fetchall()
    return [row["kind"] for row in rows]


def test_grant_and_revoke_by_kind(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> None:
    role = make_role()
    common = [role.name, str(tenant_id), "--database-url", database_url]

    missing = jobforge("grant-tenant", *common)
    assert missing.returncode == 2
    assert "--producer, --worker, or both" in missing.stderr

    granted = jobforge("grant-tenant", *common, "--producer")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.strip() == f"granted tenant {tenant_id} to role {role.name} as producer"
    with connect(role.url) as conn:
        conn.execute("SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')", (tenant_id,))
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT * FROM jobforge.jobforge_claim_jobs('w', 1, 30)")
        assert caught.value.sqlstate == "42501"

    both = jobforge("grant-tenant", *common, "--producer", "--worker")
    assert both.returncode == 0, both.stderr
    assert both.stdout.strip().endswith("as producer and worker")
    assert kinds(database_url, role.name) == ["producer", "worker"]

    narrowed = jobforge("revoke-tenant", *common, "--producer")
    assert narrowed.returncode == 0, narrowed.stderr
    assert kinds(database_url, role.name) == ["worker"]

    revoked = jobforge("revoke-tenant", *common)
    assert revoked.stdout.strip() == (
        f"revoked tenant {tenant_id} from role {role.name} (producer and worker)"
    )
    assert kinds(database_url, role.name) == []
    assert jobforge("revoke-tenant", *common).stdout.strip() == "no such grant"


def test_mistakes_get_one_clear_line(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> None:
    nobody = jobforge(
        "grant-tenant", f"nobody_{uuid.uuid4().hex[:8]}", str(tenant_id), "--worker",
        "--database-url", database_url,
    )  # fmt: skip
    assert nobody.returncode == 1
    assert "does not exist" in nobody.stderr

    bad_tenant = jobforge(
        "grant-tenant", "x", "not-a-uuid", "--worker", "--database-url", database_url
    )
    assert bad_tenant.returncode == 1
    assert "tenant_id: expected a UUID, got 'not-a-uuid'" in bad_tenant.stderr

    role = make_role()
    not_owner = jobforge(
        "grant-tenant", role.name, str(tenant_id), "--producer", "--database-url", role.url
    )
    assert not_owner.returncode == 1
    assert not_owner.stderr.startswith("jobforge: error: permission denied for schema jobforge")
    assert "only the owner may grant" in not_owner.stderr
