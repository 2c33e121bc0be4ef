"""`jobforge serve` and `jobforge grant-ingress` as a user types them: fresh processes,
a real PostgreSQL, HTTP from outside, Ctrl-C to stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from jobforge.connectors.webhooks import WebhookSecret, WebhookSigner, new_message_id
from tests.conftest import TenantRole
from tests.integration.server.support import drop_roles
from tests.integration.support import connect, wait_until
from tests.integration.test_api_keys import insert_key

PROGRAM = str(Path(sys.executable).parent / "jobforge")
DEADLINE_SECONDS = 60


def jobforge(*arguments: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [PROGRAM, *arguments], capture_output=True, text=True, timeout=DEADLINE_SECONDS,
        check=False,
    )  # fmt: skip
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_an_operator_sets_up_and_serves_a_tenant(
    database_url: str, make_role: Callable[[], TenantRole], tmp_path: Path
) -> None:
    login, tenant = make_role(), uuid.uuid4()
    with connect(database_url) as owner:
        owner.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(login.name)))
    assert (
        jobforge("keys", "grant-verifier", login.name, "--database-url", database_url).returncode
        == 0
    )
    granted = jobforge(
        "grant-ingress", login.name, str(tenant), "--format", "json", "--database-url", database_url
    )
    assert granted.returncode == 0, granted.stderr
    report = json.loads(granted.stdout)
    assert report == {
        "action": "granted", "server_role": login.name, "tenant_id": str(tenant),
        "tenant_role": f"jobforge_producer_{tenant.hex}",
    }  # fmt: skip
    try:
        secret = WebhookSecret.generate()
        config = tmp_path / "jobforge-serve.toml"
        config.write_text(
            f'[webhooks.shop]\ntenant_id = "{tenant}"\njob_type = "shop.order"\n'
            f'secret_env = "SHOP_WEBHOOK_SECRET"\n'
        )
        key = insert_key(database_url, tenant, scopes=("enqueue:mail.*", "read:jobs"))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [PROGRAM, "serve", "--database-url", login.url, "--port", str(port),
             "--config", str(config), "--log-level", "warning"],
            env={**os.environ, "SHOP_WEBHOOK_SECRET": secret.reveal()},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_until(lambda: healthy(url) or server.poll() is not None, DEADLINE_SECONDS, "serve")
            assert server.poll() is None, server.communicate()
            auth = {"Authorization": f"Bearer {key.text}"}
            enqueued = httpx.post(
                f"{url}/v1/jobs", json={"type": "mail.welcome", "payload": {"to": "ada"}},
                headers=auth,
            )  # fmt: skip
            assert enqueued.status_code == 201, enqueued.text
            job = httpx.get(f"{url}/v1/jobs/{enqueued.json()['id']}", headers=auth).json()
            assert job["payload"] == {"to": "ada"}
            body = b'{"order": 1}'
            signed = WebhookSigner(secret).sign(body, message_id=new_message_id())
            delivered = httpx.post(f"{url}/v1/webhooks/shop", content=body, headers=signed)
            assert delivered.status_code == 200, delivered.text
        finally:
            server.send_signal(signal.SIGINT)
            _, stderr = server.communicate(timeout=DEADLINE_SECONDS)
        assert server.returncode == 0, stderr
        assert "Traceback" not in stderr
        with connect(database_url) as owner:
            types = [r["type"] for r in owner.execute(
                "SELECT type FROM jobforge.jobforge_jobs WHERE tenant_id = %s ORDER BY seq",
                (tenant,),
            )]  # fmt: skip
        assert types == ["mail.welcome", "shop.order"]
        revoked = jobforge(
            "revoke-ingress", login.name, str(tenant), "--database-url", database_url
        )
        assert revoked.returncode == 0
        assert revoked.stdout == f"role {login.name} no longer acts for tenant {tenant}\n"
    finally:
        drop_roles(database_url, [f"jobforge_producer_{tenant.hex}"])


def test_serve_explains_what_is_wrong_and_exits_1(tmp_path: Path, database_url: str) -> None:
    unreachable = jobforge("serve", "--database-url", "postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("jobforge: error: cannot connect to")
    config = tmp_path / "serve.toml"
    config.write_text('[webhooks.shop]\ntenant_id = "not-a-uuid"\n')
    bad_config = jobforge("serve", "--database-url", database_url, "--config", str(config))
    assert bad_config.returncode == 1
    assert f"{config}: webhooks.shop.tenant_id: expected a UUID" in bad_config.stderr
    inheriting = jobforge(
        "grant-ingress", "postgres", str(uuid.uuid4()), "--database-url", database_url
    )
    assert inheriting.returncode == 1
    assert "NOINHERIT" in inheriting.stderr
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM jobforge.jobforge_tenant_grants").fetchone() == (
            0,
        )
