"""API keys against a real PostgreSQL: the keys jobs run by a real worker, as a role with
a worker grant, through the real store transport; keys issued by a producer role and
checked with the authentication RPC."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobforge.client import JobForgeClient
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.errors import ConnectorFailure
from jobforge.handlers import HandlerRegistry, default_registry
from jobforge.keys import (
    ApiKeyRejected,
    DatabaseKeyLookup,
    ScopeAction,
    issue_key,
    list_keys,
    revoke_key,
    rotate_key,
    verify_api_key,
)
from jobforge.keys.hashing import KeyHash, hash_key
from jobforge.keys.jobs import prepare_issue
from jobforge.keys.material import PlaintextKey, new_key
from jobforge.keys.operations import key_tenant, run_keys_job
from jobforge.keys.store_transport import (
    KeyStoreTransport,
    register_key_store,
    register_key_store_if_served,
)
from jobforge.replay.recorded import replay_recorded_job
from jobforge.runners.keys import handlers  # noqa: F401 - registers the handlers
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import JobTypeContract, contracts_by_job_type
from tests.conftest import TenantRole
from tests.integration.support import connect, wait_until
from tests.unit.runners.keys_support import runner_contract

WAIT_SECONDS = 30.0


def keys_contracts() -> dict[str, JobTypeContract]:
    return contracts_by_job_type([runner_contract()])


@contextlib.contextmanager
def keys_worker(worker_url: str, store_url: str | None = None) -> Iterator[Worker]:
    """A worker serving jobforge.keys.* as the role of ``worker_url``, its store running
    the key RPCs as the role of ``store_url`` (the worker's own by default)."""
    connectors = ConnectorRegistry()
    register_key_store(store_url or worker_url, connectors=connectors)
    worker = Worker(
        worker_url,
        registry=default_registry,
        config=WorkerConfig(poll_interval_seconds=0.05, concurrency=2, job_types=_JOB_TYPES),
        job_types=keys_contracts(),
        connectors=connectors,
    )
    thread = threading.Thread(target=worker.run, name="keys-worker")
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=60)


_JOB_TYPES = ("jobforge.keys.issue", "jobforge.keys.list", "jobforge.keys.rotate",
              "jobforge.keys.revoke")  # fmt: skip


def insert_key(
    url: str,
    tenant: uuid.UUID,
    *,
    scopes: tuple[str, ...] = ("enqueue:acme.*",),
    name: str = "test key",
    expires_at: datetime | None = None,
    key: PlaintextKey | None = None,
    stored: KeyHash | None = None,
) -> PlaintextKey:
    """Store a new key of ``tenant`` (or ``key``, hashed as ``stored``) through the store
    transport, as the role of ``url``."""
    key = key or new_key()
    stored = stored or hash_key(key.text)
    KeyStoreTransport(url)(
        "insert_key",
        {
            "tenant_id": str(tenant),
            "key_id": str(key.key_id),
            "name": name,
            "prefix": key.prefix,
            "scopes": list(scopes),
            "verifier": stored.to_json(),
            "expires_at": None if expires_at is None else expires_at.isoformat(),
        },
    )
    return key


@pytest.fixture
def tenant_roles(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> tuple[TenantRole, TenantRole]:
    """(producer, worker) of ``tenant_id``."""
    producer, worker = make_role(), make_role()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(producer.name, tenant_id, kind="producer")
        owner.grant_tenant(worker.name, tenant_id, kind="worker")
    return producer, worker


def test_a_key_lives_issued_rotated_and_revoked(
    database_url: str, tenant_roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    producer, worker = tenant_roles
    lookup = DatabaseKeyLookup(database_url)
    expires_at = datetime.now(UTC) + timedelta(days=90)
    with keys_worker(worker.url), JobForgeClient(producer.url) as client:
        issued = issue_key(
            client, tenant_id=tenant_id, name="billing sync",
            scopes=["enqueue:acme.billing.*", "read:jobs"], expires_at=expires_at,
            wait_seconds=WAIT_SECONDS,
        )  # fmt: skip
        first = verify_api_key(issued.text, lookup)
        assert (first.tenant_id, str(first.key_id)) == (tenant_id, issued.key["key_id"])
        assert first.allows(ScopeAction.ENQUEUE, "acme.billing.invoice.send")
        assert not first.allows(ScopeAction.ENQUEUE, "acme.shipping.send")
        assert first.allows(ScopeAction.READ_JOBS)
        assert key_tenant(producer.url, first.key_id) == tenant_id

        rotated = rotate_key(
            client, first.key_id, tenant_id=tenant_id, grace=timedelta(hours=1),
            wait_seconds=WAIT_SECONDS,
        )  # fmt: skip
        assert rotated.old_key["status"] == "grace"
        assert rotated.new_key["scopes"] == issued.key["scopes"]
        assert rotated.new_key["expires_at"] == issued.key["expires_at"]  # inherited
        old_until = datetime.fromisoformat(rotated.old_key["expires_at"])
        assert timedelta(minutes=59) < old_until - datetime.now(UTC) <= timedelta(hours=1)
        # Within the grace period both keys work.
        assert verify_api_key(issued.text, lookup).key_id == first.key_id
        second = verify_api_key(rotated.text, lookup)
        assert second.scopes == first.scopes

        revoked = revoke_key(
            client, first.key_id, tenant_id=tenant_id, reason="rotated out",
            wait_seconds=WAIT_SECONDS,
        )  # fmt: skip
        assert revoked["already_revoked"] is False
        with pytest.raises(ApiKeyRejected, match="revoked"):
            verify_api_key(issued.text, lookup)
        assert verify_api_key(rotated.text, lookup).key_id == second.key_id

        listed = list_keys(client, tenant_id=tenant_id, wait_seconds=WAIT_SECONDS)
        assert [key["key_id"] for key in listed["keys"]] == [str(second.key_id)]
        everything = list_keys(
            client, tenant_id=tenant_id, include_inactive=True, wait_seconds=WAIT_SECONDS
        )
        assert [key["status"] for key in everything["keys"]] == ["revoked", "active"]
        assert "hash" not in str(everything)
        assert "salt" not in str(everything)
    lookup.close()


def test_the_old_key_stops_working_when_its_grace_period_ends(
    database_url: str, tenant_roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    producer, worker = tenant_roles
    lookup = DatabaseKeyLookup(database_url)
    with keys_worker(worker.url), JobForgeClient(producer.url) as client:
        issued = issue_key(client, tenant_id=tenant_id, name="a", scopes=["read:jobs"],
                           wait_seconds=WAIT_SECONDS)  # fmt: skip
        key_id = issued.key["key_id"]
        rotated = rotate_key(client, key_id, tenant_id=tenant_id, grace=timedelta(hours=2),
                             wait_seconds=WAIT_SECONDS)  # fmt: skip
        assert verify_api_key(issued.text, lookup)
        # Two hours pass (the clock is the database's: move the key's expiry instead).
        with connect(database_url) as owner:
            owner.execute(
                "UPDATE jobforge.jobforge_api_keys SET expires_at = now() - interval '1 second' "
                "WHERE key_id = %s",
                (key_id,),
            )
        with pytest.raises(ApiKeyRejected, match="expired"):
            verify_api_key(issued.text, lookup)
        assert verify_api_key(rotated.text, lookup)
        # A rotation without grace ends the old key at once.
        again = rotate_key(client, rotated.new_key["key_id"], tenant_id=tenant_id,
                           grace=timedelta(0), wait_seconds=WAIT_SECONDS)  # fmt: skip
        with pytest.raises(ApiKeyRejected, match="expired"):
            verify_api_key(rotated.text, lookup)
        assert verify_api_key(again.text, lookup)
    lookup.close()


def test_a_recorded_keys_job_replays_without_the_database_store(
    database_url: str, tenant_roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    producer, worker = tenant_roles
    with keys_worker(worker.url), JobForgeClient(producer.url) as client:
        issued = issue_key(client, tenant_id=tenant_id, name="a", scopes=["events:fire"],
                           wait_seconds=WAIT_SECONDS)  # fmt: skip
        listed_job, _ = run_keys_job(client, tenant_id, _list_everything(),
                                     wait_seconds=WAIT_SECONDS)  # fmt: skip
    with JobForgeClient(database_url) as owner:
        for job_id in (issued.job_id, listed_job):
            # No transport is registered here: every store call is answered from the record.
            replay = replay_recorded_job(
                owner, job_id, registry=default_registry, job_types=keys_contracts(),
                connectors=ConnectorRegistry(),
            )  # fmt: skip
            assert replay.matches, replay.report
            recorded = owner.get_results(job_id)[-1]
            assert issued.text[36:] not in str(recorded)  # the secret is in no record


def _list_everything() -> Any:
    from jobforge.keys.jobs import list_job  # noqa: PLC0415

    return list_job(include_inactive=True)


def test_storing_a_key_again_finds_it_and_another_key_under_its_id_is_refused(
    tenant_roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    _, worker = tenant_roles
    store = KeyStoreTransport(worker.url)
    key = new_key()
    request = {
        "tenant_id": str(tenant_id), "key_id": str(key.key_id), "name": "a",
        "prefix": key.prefix, "scopes": ["read:jobs"], "verifier": hash_key(key.text).to_json(),
        "expires_at": None,
    }  # fmt: skip
    first = store("insert_key", request)
    again = store("insert_key", request)
    assert (first["created"], again["created"]) == (True, False)
    assert first["api_key"] == again["api_key"]
    with pytest.raises(ConnectorFailure) as caught:
        store("insert_key", {**request, "verifier": hash_key(key.text).to_json()})
    assert caught.value.type == "invalid_request"
    assert "already taken" in str(caught.value)


def test_a_store_without_the_tenants_worker_grant_dead_letters_the_job(
    database_url: str,
    tenant_roles: tuple[TenantRole, TenantRole],
    tenant_id: uuid.UUID,
    make_role: Callable[[], TenantRole],
) -> None:
    producer, worker = tenant_roles
    stranger = make_role()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(stranger.name, uuid.uuid4(), kind="worker")
    _, job = prepare_issue(name="a", scopes=["read:jobs"])
    with JobForgeClient(producer.url) as client:
        job_id = client.enqueue_job(tenant_id=tenant_id, type=job.job_type, payload=job.payload).id
        with keys_worker(worker.url, store_url=stranger.url):
            wait_until(lambda: client.get_job(job_id).is_finished, WAIT_SECONDS, "the job")
        failed = client.get_job(job_id)
    assert failed.state == "dead"
    assert failed.last_error["kind"] == "connector_authentication_failed"
    assert f"is not granted tenant {tenant_id} as a worker" in failed.last_error["message"]
    with connect(database_url) as owner:
        assert owner.execute("SELECT count(*) AS n FROM jobforge.jobforge_api_keys").fetchone() == {
            "n": 0
        }


def test_one_of_two_racing_rotations_wins(
    tenant_roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    _, worker = tenant_roles
    old = insert_key(worker.url, tenant_id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def rotate() -> None:
        new = new_key()
        request = {
            "tenant_id": str(tenant_id), "key_id": str(old.key_id),
            "new_key_id": str(new.key_id), "new_prefix": new.prefix,
            "verifier": hash_key(new.text).to_json(),
            "old_expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        }  # fmt: skip
        barrier.wait(timeout=10)
        outcomes.append(KeyStoreTransport(worker.url)("rotate", request)["outcome"])

    threads = [threading.Thread(target=rotate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["replaced", "rotated"]


def test_a_tenant_holds_at_most_1000_valid_keys(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as owner:
        owner.execute(
            "INSERT INTO jobforge.jobforge_api_keys "
            "(key_id, tenant_id, name, prefix, scopes, kdf, kdf_n, kdf_r, kdf_p, salt, hash) "
            "SELECT k.id, %s, 'bulk', 'jf_' || left(replace(k.id::text, '-', ''), 12), "
            "ARRAY['read:jobs'], 'scrypt', 16384, 8, 1, decode(md5(k.id::text), 'hex'), "
            "sha256(k.id::text::bytea) "
            "FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 1000)) AS k",
            (tenant_id,),
        )
    with pytest.raises(ConnectorFailure, match="already has 1000 valid API keys") as caught:
        insert_key(database_url, tenant_id)
    assert caught.value.type == "invalid_request"
    with connect(database_url) as owner:
        owner.execute(
            "UPDATE jobforge.jobforge_api_keys SET revoked_at = now() "
            "WHERE key_id = (SELECT key_id FROM jobforge.jobforge_api_keys LIMIT 1)"
        )
    insert_key(database_url, tenant_id)  # a revoked key frees a place


def test_producers_read_their_keys_metadata_with_sql(
    tenant_roles: tuple[TenantRole, TenantRole], tenant_id: uuid.UUID
) -> None:
    producer, worker = tenant_roles
    key = insert_key(worker.url, tenant_id, name="dashboard")
    with connect(producer.url) as conn:
        rows = conn.execute(
            "SELECT key_id, name, prefix, scopes, expires_at, revoked_at "
            "FROM jobforge.jobforge_api_keys"
        ).fetchall()
    assert rows == [{
        "key_id": key.key_id, "name": "dashboard", "prefix": key.prefix,
        "scopes": ["enqueue:acme.*"], "expires_at": None, "revoked_at": None,
    }]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_at": "2000-01-01T00:00:00+00:00"}, "expires_at: expected a time in the future"),
        ({"scopes": ["read:jobs\n"]}, "scopes: expected 1 to 50 distinct scopes"),
        ({"scopes": ["read:jobs", "read:jobs"]}, "scopes: expected 1 to 50 distinct scopes"),
        ({"prefix": "jf_000000000000"}, "jobforge_api_keys_prefix"),
        ({"name": "a\x1b[31mred"}, "jobforge_api_keys_name_text"),
        ({"verifier": {"kdf": "scrypt", "n": 1024, "r": 8, "p": 1, "salt": "00" * 16,
                       "hash": "00" * 32}}, "jobforge_api_keys_kdf"),
    ],
)  # fmt: skip
def test_the_database_refuses_what_the_runner_would(
    tenant_roles: tuple[TenantRole, TenantRole],
    tenant_id: uuid.UUID,
    change: dict[str, Any],
    message: str,
) -> None:
    _, worker = tenant_roles
    key = new_key()
    request = {
        "tenant_id": str(tenant_id), "key_id": str(key.key_id), "name": "a",
        "prefix": key.prefix, "scopes": ["read:jobs"],
        "verifier": {"kdf": "scrypt", "n": 16384, "r": 8, "p": 1, "salt": "00" * 16,
                     "hash": "00" * 32},
        "expires_at": None, **change,
    }  # fmt: skip
    with pytest.raises(ConnectorFailure, match=message) as caught:
        KeyStoreTransport(worker.url)("insert_key", request)
    assert caught.value.type == "invalid_request"


def test_the_worker_registers_the_store_only_when_it_serves_keys(database_url: str) -> None:
    connectors = ConnectorRegistry()
    assert not register_key_store_if_served(HandlerRegistry(), database_url, connectors=connectors)
    assert connectors.transport("jobforge.keys.store") is None
    assert register_key_store_if_served(default_registry, database_url, connectors=connectors)
    transport = connectors.transport("jobforge.keys.store")
    assert isinstance(transport, KeyStoreTransport)
    # A transport registered before (an example's, a test's) is kept.
    assert not register_key_store_if_served(default_registry, database_url, connectors=connectors)
    assert connectors.transport("jobforge.keys.store") is transport


def test_an_unreachable_database_is_a_retryable_network_error() -> None:
    store = KeyStoreTransport("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(ConnectorFailure) as caught:
        store("list_keys", {"tenant_id": str(uuid.uuid4()), "valid_at": None, "limit": 1})
    assert caught.value.type == "network_error"
    with pytest.raises(ConnectorFailure) as unknown:
        store("drop_everything", {})
    assert unknown.value.type == "invalid_request"


def test_the_authentication_rpc_reports_status_and_hides_inactive_hashes(
    database_url: str, tenant_id: uuid.UUID
) -> None:
    active = insert_key(database_url, tenant_id)
    soon = insert_key(database_url, tenant_id, expires_at=datetime.now(UTC) + timedelta(minutes=5))
    lookup = DatabaseKeyLookup(database_url)
    record = lookup(active.key_id)
    assert record is not None
    assert record.status == "active"
    assert record.stored is not None
    with connect(database_url) as owner:
        owner.execute(
            "UPDATE jobforge.jobforge_api_keys SET expires_at = now() WHERE key_id = %s",
            (soon.key_id,),
        )
        owner.execute(
            "UPDATE jobforge.jobforge_api_keys SET revoked_at = now() WHERE key_id = %s",
            (active.key_id,),
        )
    for key, status in ((soon, "expired"), (active, "revoked")):
        record = lookup(key.key_id)
        assert record is not None
        assert (record.status, record.stored) == (status, None)
    assert lookup(uuid.uuid4()) is None
    lookup.close()


def test_jobs_wait_no_longer_than_asked_and_a_queued_one_is_canceled(
    database_url: str, tenant_id: uuid.UUID
) -> None:
    from jobforge.keys.errors import KeyJobTimeout  # noqa: PLC0415

    _, job = prepare_issue(name="a", scopes=["read:jobs"])
    with JobForgeClient(database_url) as client:
        with pytest.raises(KeyJobTimeout, match=r"is a worker serving jobforge\.keys\.\* running"):
            run_keys_job(client, tenant_id, job, wait_seconds=0.2)
        [stats] = [row for row in client.queue_stats() if row["type"] == job.job_type]
    assert stats["state"] == "canceled"
