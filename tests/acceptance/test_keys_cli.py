"""`jobforge keys` as an operator types it, against a worker serving the keys runner.

The commands run as a producer role of the tenant, in a fresh process each; a worker
(in this process, as a role with the tenant's worker grant) runs their jobs. The key a
command prints is checked the way the HTTP ingress will check it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from jobforge.client import JobForgeClient
from jobforge.keys import ApiKeyRejected, DatabaseKeyLookup, verify_api_key
from jobforge.keys.jobs import prepare_issue
from tests.conftest import TenantRole
from tests.integration.test_api_keys import keys_worker

JOBFORGE = str(Path(sys.executable).parent / "jobforge")
KEY_LINE = re.compile(r"jf_[0-9a-f]{32}_[A-Za-z0-9_-]{43}\n")


def jobforge(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [JOBFORGE, *arguments], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


@pytest.fixture
def roles(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> tuple[TenantRole, TenantRole]:
    """(producer, worker) of ``tenant_id``."""
    producer, worker = make_role(), make_role()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(producer.name, tenant_id, kind="producer")
        owner.grant_tenant(worker.name, tenant_id, kind="worker")
    return producer, worker


def authenticates(database_url: str, text: str) -> bool:
    lookup = DatabaseKeyLookup(database_url)
    try:
        verify_api_key(text, lookup)
    except ApiKeyRejected:
        return False
    finally:
        lookup.close()
    return True


def test_issue_list_rotate_and_revoke(
    database_url: str, roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    producer, worker = roles
    connection = ["--database-url", producer.url]
    with keys_worker(worker.url):
        issued = jobforge(
            "keys", "issue", "--tenant", str(tenant_id), "--name", "ci deploy",
            "--scope", "enqueue:acme.billing.*", "--scope", "read:jobs", "--expires-in", "90d",
            *connection,
        )  # fmt: skip
        assert issued.returncode == 0, issued.stderr
        assert KEY_LINE.fullmatch(issued.stdout), "standard output holds the key alone"
        key_text = issued.stdout.strip()
        key_id = str(uuid.UUID(hex=key_text[3:35]))
        assert f"issued key {key_id} (jf_{key_text[3:15]}, 'ci deploy') for tenant" in issued.stderr
        assert "enqueue:acme.billing.*, read:jobs; expires at " in issued.stderr
        assert "This is the only time the key is shown" in issued.stderr
        assert key_text not in issued.stderr
        assert authenticates(database_url, key_text)

        listed = jobforge("keys", "list", "--tenant", str(tenant_id), *connection)
        assert listed.returncode == 0, listed.stderr
        header, row = listed.stdout.splitlines()
        assert header.split() == ["key", "id", "prefix", "status", "expires", "name", "scopes"]
        assert row.startswith(f"{key_id}  jf_{key_text[3:15]}  active  ")
        assert row.endswith("ci deploy  enqueue:acme.billing.* read:jobs")
        assert key_text[36:] not in listed.stdout

        # No --tenant: the producer may read its keys, so the tenant is looked up.
        rotated = jobforge("keys", "rotate", key_id, "--grace", "1h", *connection)
        assert rotated.returncode == 0, rotated.stderr
        assert KEY_LINE.fullmatch(rotated.stdout)
        new_text = rotated.stdout.strip()
        assert f"rotated key {key_id} to " in rotated.stderr
        assert "the old key works until " in rotated.stderr
        assert authenticates(database_url, key_text)
        assert authenticates(database_url, new_text)

        revoked = jobforge("keys", "revoke", key_id, "--reason", "rotated out", *connection)
        assert revoked.returncode == 0, revoked.stderr
        assert revoked.stdout.startswith(f"revoked key {key_id} at ")
        again = jobforge("keys", "revoke", key_id, *connection)
        assert again.stdout.startswith(f"key {key_id} was already revoked at ")
        assert not authenticates(database_url, key_text)
        assert authenticates(database_url, new_text)

        everything = jobforge(
            "keys", "list", "--tenant", str(tenant_id), "--all", "--json", *connection
        )
        document = json.loads(everything.stdout)
        assert [key["status"] for key in document["keys"]] == ["revoked", "active"]
        assert document["keys"][0]["revoked_reason"] == "rotated out"


def test_mistakes_get_one_clear_line_and_never_a_key(
    database_url: str, roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    producer, worker = roles
    connection = ["--database-url", producer.url]
    issue = ["keys", "issue", "--tenant", str(tenant_id), "--name", "x"]

    bad_scope = jobforge(*issue, "--scope", "enqueue:Acme.*", *connection)
    assert bad_scope.returncode == 1
    assert bad_scope.stdout == ""
    assert bad_scope.stderr.startswith("jobforge: error: scopes[0]: expected enqueue:")
    assert len(bad_scope.stderr.splitlines()) == 1

    bad_duration = jobforge(*issue, "--scope", "read:jobs", "--expires-in", "3x", *connection)
    assert bad_duration.returncode == 2
    assert "expected a duration such as 90d, 24h, 1h30m or 45s, got '3x'" in bad_duration.stderr

    both = jobforge(*issue, "--scope", "read:jobs", "--expires-in", "1d", "--expires-at",
                    "2030-01-01T00:00:00Z", *connection)  # fmt: skip
    assert both.returncode == 2

    unknown = str(uuid.uuid4())
    not_visible = jobforge("keys", "revoke", unknown, *connection)
    assert not_visible.returncode == 1
    assert f"no API key {unknown} is visible to this role" in not_visible.stderr

    # No worker serves keys jobs yet: the command gives up, cancels its job, shows no key.
    nobody = jobforge(*issue, "--scope", "read:jobs", "--wait", "0.5", *connection)
    assert nobody.returncode == 1
    assert nobody.stdout == ""
    assert "is still queued after 0.5 s: is a worker serving jobforge.keys.* running" in (
        nobody.stderr
    )
    assert "The job was canceled." in nobody.stderr

    with keys_worker(worker.url):
        missing = jobforge("keys", "revoke", unknown, "--tenant", str(tenant_id), *connection)
    assert missing.returncode == 1
    assert "is dead: key_not_found: payload.key_id: " in missing.stderr
    assert f"{unknown} is not a key of this tenant" in missing.stderr


def test_key_verifiers_are_named_by_the_owner(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> None:
    ingress = make_role()
    granted = jobforge("keys", "grant-verifier", ingress.name, "--database-url", database_url)
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.strip() == f"role {ingress.name} may authenticate API keys"
    assert not authenticates(ingress.url, prepare_issue(name="x", scopes=["read:jobs"])[0].text)
    refused = jobforge("keys", "grant-verifier", ingress.name, "--database-url", ingress.url)
    assert refused.returncode == 1
    assert "jobforge: error: " in refused.stderr
    revoked = jobforge("keys", "revoke-verifier", ingress.name, "--database-url", database_url)
    assert revoked.stdout.strip() == f"role {ingress.name} may no longer authenticate API keys"
    again = jobforge("keys", "revoke-verifier", ingress.name, "--database-url", database_url)
    assert again.stdout.strip() == "no such grant"


def test_worker_run_serves_keys_jobs_with_its_own_store(
    database_url: str, roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID, tmp_path: Path
) -> None:
    """`jobforge worker run` registers the store transport itself, as its own role."""
    producer, worker = roles
    key, job = prepare_issue(name="from the worker command", scopes=["events:fire"])
    with JobForgeClient(producer.url) as client:
        job_id = client.enqueue_job(tenant_id=tenant_id, type=job.job_type, payload=job.payload).id
    ran = jobforge(
        "worker", "run", "--burst", "-m", "jobforge.runners.keys.handlers",
        "--database-url", worker.url, cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    with JobForgeClient(producer.url) as client:
        assert client.get_job(job_id).state == "succeeded"
    assert authenticates(database_url, key.text)
