"""API keys attacked by tenant A's roles, against tenant B's keys.

B holds a valid key, a revoked one and one rotated away; A holds one of its own. Each
attack runs as A's producer or worker over a real connection (on a database migrated as
usual and on one migrated under Supabase's default privileges) and must be refused or
find nothing; B's keys stay exactly as they were and nothing returned names them. Then
the keys themselves: revoked, expired and rotated-out keys, and forged ones, must not
authenticate.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from jobforge.client import JobForgeClient
from jobforge.keys import ApiKeyRejected, DatabaseKeyLookup, verify_api_key
from jobforge.keys.hashing import KeyHash, hash_key
from jobforge.keys.material import PlaintextKey, new_key
from jobforge.keys.operations import grant_key_verifier, revoke_key_verifier
from jobforge.keys.store_transport import KeyStoreTransport
from tests.conftest import TenantRole
from tests.integration.support import connect
from tests.integration.test_api_keys import insert_key
from tests.security.conftest import ANON, AUTHENTICATED, PERMISSION_DENIED, World, attempt
from tests.security.test_catalogue import privileges

Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]
METADATA_COLUMNS = {
    "key_id", "tenant_id", "name", "prefix", "scopes", "created_at", "expires_at",
    "revoked_at", "revoked_reason", "replaced_by",
}  # fmt: skip
HASH_COLUMNS = {"kdf", "kdf_n", "kdf_r", "kdf_p", "salt", "hash"}
INJECTION = "enqueue:x'); DROP TABLE jobforge.jobforge_api_keys; --"


@dataclass
class KeyWorld:
    world: World
    victim_key: PlaintextKey
    victim_revoked: PlaintextKey
    victim_rotated_out: PlaintextKey
    victim_successor: PlaintextKey
    own_key: PlaintextKey
    markers: list[str] = field(default_factory=list)

    def victim_rows(self) -> list[dict[str, Any]]:
        with connect(self.world.owner_url) as owner:
            return [
                dict(row)
                for row in owner.execute(
                    "SELECT * FROM jobforge.jobforge_api_keys WHERE tenant_id = %s ORDER BY key_id",
                    (self.world.tenant_b,),
                )
            ]

    def assert_nothing_leaked(self, received: Any, *, supplied: Any = None) -> None:
        text, known = str(received), str(supplied)
        for marker in self.markers:
            if marker not in known:
                assert marker not in text, f"the attacker received {marker!r}: {text[:500]}"


def rotate_as_owner(
    url: str, tenant: uuid.UUID, old: PlaintextKey, grace: timedelta
) -> PlaintextKey:
    new, stored = hashed_key(f"successor of {old.key_id}")
    KeyStoreTransport(url)(
        "rotate",
        {
            "tenant_id": str(tenant), "key_id": str(old.key_id), "new_key_id": str(new.key_id),
            "new_prefix": new.prefix, "verifier": stored.to_json(),
            "old_expires_at": (datetime.now(UTC) + grace).isoformat(),
        },
    )  # fmt: skip
    return new


@functools.cache
def hashed_key(name: str) -> tuple[PlaintextKey, KeyHash]:
    """One key per name for the whole session (each test's database is fresh): scrypt
    runs once per key, not once per test."""
    key = new_key()
    return key, hash_key(key.text)


def insert_named(url: str, tenant: uuid.UUID, name: str, **options: Any) -> PlaintextKey:
    key, stored = hashed_key(name)
    return insert_key(url, tenant, name=name, key=key, stored=stored, **options)


@pytest.fixture
def keys(world: World) -> KeyWorld:
    url, b = world.owner_url, world.tenant_b
    victim_key = insert_named(url, b, "victim's key", scopes=("enqueue:*",))
    victim_revoked = insert_named(url, b, "victim's revoked key")
    KeyStoreTransport(url)(
        "revoke", {"tenant_id": str(b), "key_id": str(victim_revoked.key_id), "reason": None}
    )
    victim_rotated_out = insert_named(url, b, "victim's old key")
    victim_successor = rotate_as_owner(url, b, victim_rotated_out, timedelta(hours=1))
    own_key = insert_named(url, world.tenant_a, "attacker's key", scopes=("read:jobs",))
    key_world = KeyWorld(
        world, victim_key, victim_revoked, victim_rotated_out, victim_successor, own_key
    )
    key_world.markers = [str(b), "victim's"] + [
        str(k.key_id) for k in (victim_key, victim_revoked, victim_rotated_out, victim_successor)
    ]
    for row in key_world.victim_rows():
        key_world.markers += [row["hash"].hex(), row["salt"].hex()]
    return key_world


@pytest.fixture
def key_attack(keys: KeyWorld, attack: Attack) -> Iterator[Attack]:
    """As ``attack``, and tenant B's keys must not change either."""
    before = keys.victim_rows()
    yield attack
    assert keys.victim_rows() == before, "tenant B's keys changed"


def victim_id(keys: KeyWorld) -> str:
    return str(keys.victim_key.key_id)


def verifier_args() -> tuple[str, int, int, int, bytes, bytes]:
    """Hash material for a forged key (never checked: any 16 and 32 bytes will do)."""
    return ("scrypt", 16384, 8, 1, uuid.uuid4().bytes, uuid.uuid4().bytes * 2)


def insert_statement(scopes: str = "ARRAY['read:jobs']") -> str:
    return (
        "SELECT * FROM jobforge.jobforge_insert_api_key(%s, %s, 'forged', %s, "
        + scopes
        + ", %s, %s, %s, %s, %s, %s)"
    )


def insert_params(tenant: uuid.UUID) -> tuple[Any, ...]:
    key = new_key()
    return (tenant, key.key_id, key.prefix, *verifier_args())


def rotate_params(keys: KeyWorld, tenant: uuid.UUID) -> tuple[Any, ...]:
    key = new_key()
    return (tenant, keys.victim_key.key_id, key.key_id, key.prefix, *verifier_args(),
            datetime.now(UTC) + timedelta(days=30))  # fmt: skip


ROTATE = (
    "SELECT * FROM jobforge.jobforge_rotate_api_key(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

# (kind of grant the attacker holds, SQL, parameters, what must happen: an SQLSTATE,
# "empty" for no rows, "own-only" for rows of tenant A alone, or "not_found" for an RPC
# that finds nothing)
KEY_ATTACKS: list[tuple[str, str, Callable[[KeyWorld], Any], str]] = [
    # Reading: a producer sees its tenants' keys' metadata, and never a hash column.
    ("producer", "SELECT key_id, tenant_id, name, scopes FROM jobforge.jobforge_api_keys",
     lambda k: None, "own-only"),
    ("producer", "SELECT key_id, tenant_id FROM jobforge.jobforge_api_keys WHERE key_id = %s",
     lambda k: (victim_id(k),), "empty"),
    ("producer", "SELECT hash FROM jobforge.jobforge_api_keys", lambda k: None, PERMISSION_DENIED),
    ("producer", "SELECT salt, kdf_n FROM jobforge.jobforge_api_keys", lambda k: None,
     PERMISSION_DENIED),
    ("producer", "SELECT * FROM jobforge.jobforge_api_keys", lambda k: None, PERMISSION_DENIED),
    ("producer", "SELECT k::text FROM jobforge.jobforge_api_keys k", lambda k: None,
     PERMISSION_DENIED),
    ("producer", "SELECT to_jsonb(k) FROM jobforge.jobforge_api_keys k", lambda k: None,
     PERMISSION_DENIED),
    ("producer", "SELECT key_id FROM jobforge.jobforge_api_keys WHERE hash IS NOT NULL",
     lambda k: None, PERMISSION_DENIED),
    ("producer", "SELECT key_id FROM jobforge.jobforge_api_keys ORDER BY get_byte(hash, 0)",
     lambda k: None, PERMISSION_DENIED),
    ("producer", "SELECT * FROM jobforge.jobforge_api_key_verifiers", lambda k: None,
     PERMISSION_DENIED),
    ("worker", "SELECT key_id FROM jobforge.jobforge_api_keys", lambda k: None, PERMISSION_DENIED),
    # Looking a key up with its hash material is for the owner and key verifiers.
    ("producer", "SELECT * FROM jobforge.jobforge_authenticate_api_key(%s)",
     lambda k: (victim_id(k),), PERMISSION_DENIED),
    ("worker", "SELECT * FROM jobforge.jobforge_authenticate_api_key(%s)",
     lambda k: (victim_id(k),), PERMISSION_DENIED),
    # The write RPCs need a worker grant: a producer has none of them, even for its tenant.
    ("producer", insert_statement(), lambda k: insert_params(k.world.tenant_a), PERMISSION_DENIED),
    ("producer", "SELECT * FROM jobforge.jobforge_list_api_keys(%s)",
     lambda k: (k.world.tenant_a,), PERMISSION_DENIED),
    ("producer", ROTATE, lambda k: rotate_params(k, k.world.tenant_a), PERMISSION_DENIED),
    ("producer", "SELECT * FROM jobforge.jobforge_revoke_api_key(%s, %s)",
     lambda k: (k.world.tenant_a, victim_id(k)), PERMISSION_DENIED),
    # A worker acts only for its tenants.
    ("worker", insert_statement(), lambda k: insert_params(k.world.tenant_b), "JF003"),
    ("worker", "SELECT * FROM jobforge.jobforge_list_api_keys(%s)",
     lambda k: (k.world.tenant_b,), "JF003"),
    ("worker", ROTATE, lambda k: rotate_params(k, k.world.tenant_b), "JF003"),
    ("worker", "SELECT * FROM jobforge.jobforge_revoke_api_key(%s, %s)",
     lambda k: (k.world.tenant_b, victim_id(k)), "JF003"),
    # ... and naming its own tenant, another tenant's key is not there.
    ("worker", ROTATE, lambda k: rotate_params(k, k.world.tenant_a), "not_found"),
    ("worker", "SELECT * FROM jobforge.jobforge_revoke_api_key(%s, %s)",
     lambda k: (k.world.tenant_a, victim_id(k)), "not_found"),
    ("worker", "SELECT * FROM jobforge.jobforge_list_api_keys(%s)",
     lambda k: (k.world.tenant_a,), "own-only"),
    # A key id of B's, stored again for A: refused, without saying whose it is.
    ("worker",
     "SELECT * FROM jobforge.jobforge_insert_api_key(%s, %s, 'forged', %s, ARRAY['enqueue:*'], "
     "%s, %s, %s, %s, %s, %s)",
     lambda k: (k.world.tenant_a, k.victim_key.key_id, k.victim_key.prefix, *verifier_args()),
     "JF005"),
    # Scope strings are data: an injection attempt is refused as a malformed scope.
    ("worker", insert_statement("%s::text[]"),
     lambda k: (k.world.tenant_a, *insert_params(k.world.tenant_a)[1:3], [INJECTION],
                *verifier_args()), "JF005"),
    ("worker", insert_statement("ARRAY['read:jobs\n']"),
     lambda k: insert_params(k.world.tenant_a), "JF005"),
    # Helpers and administration are the owner's.
    ("worker", "SELECT jobforge.jobforge_grant_key_verifier(current_user)", lambda k: None,
     PERMISSION_DENIED),
    ("producer", "SELECT jobforge.jobforge_grant_key_verifier(current_user)", lambda k: None,
     PERMISSION_DENIED),
    ("worker", "SELECT * FROM jobforge.jobforge_insert_api_key_row(%s, %s, 'x', %s, "
     "ARRAY['enqueue:*'], %s, %s, %s, %s, %s, %s, NULL)",
     lambda k: insert_params(k.world.tenant_b), PERMISSION_DENIED),
    ("worker", "SELECT jobforge.jobforge_sync_router_privileges(current_user)", lambda k: None,
     PERMISSION_DENIED),
    ("worker", "SELECT jobforge.jobforge_caller_is_key_verifier()", lambda k: None,
     PERMISSION_DENIED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "statement", "params", "expected"),
    KEY_ATTACKS,
    ids=[f"{i:02d}-{kind}" for i, (kind, _, _, _) in enumerate(KEY_ATTACKS)],
)
def test_another_tenants_keys_are_out_of_reach(
    keys: KeyWorld, key_attack: Attack, kind: str, statement: str, params: Any, expected: str
) -> None:
    supplied = params(keys)
    outcome = attempt(key_attack(kind), statement, supplied)
    if expected == "empty":
        assert outcome == []
    elif expected == "own-only":
        assert not isinstance(outcome, Exception), outcome
        assert outcome, "the attacker should see its own key"
        tenants = {row.get("tenant_id") for row in outcome}
        documents = [row["api_key"] for row in outcome if "api_key" in row]
        assert tenants <= {keys.world.tenant_a, None}
        assert all(d["key_id"] == str(keys.own_key.key_id) for d in documents)
    elif expected == "not_found":
        assert not isinstance(outcome, Exception), outcome
        assert [row["outcome"] for row in outcome] == ["not_found"]
    else:
        assert isinstance(outcome, psycopg.Error), outcome
        assert outcome.sqlstate == expected, outcome
        received = [str(outcome), outcome.diag.message_detail, outcome.diag.message_hint]
        keys.assert_nothing_leaked(received, supplied=supplied)
    if not isinstance(outcome, Exception):
        keys.assert_nothing_leaked(outcome)


@pytest.mark.parametrize("kind", ["producer", "worker"])
@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO jobforge.jobforge_api_keys (key_id, tenant_id, name, prefix, scopes, kdf, "
        "kdf_n, kdf_r, kdf_p, salt, hash) SELECT gen_random_uuid(), tenant_id, name, prefix, "
        "scopes, 'scrypt', 16384, 8, 1, '\\x00', '\\x00' FROM jobforge.jobforge_api_keys",
        "UPDATE jobforge.jobforge_api_keys SET revoked_at = NULL, expires_at = NULL",
        "UPDATE jobforge.jobforge_api_keys SET scopes = ARRAY['enqueue:*']",
        "DELETE FROM jobforge.jobforge_api_keys",
        "TRUNCATE jobforge.jobforge_api_keys",
        "INSERT INTO jobforge.jobforge_api_key_verifiers (role_name) VALUES (current_user)",
    ],
)
def test_direct_writes_to_keys_are_refused(key_attack: Attack, kind: str, statement: str) -> None:
    outcome = attempt(key_attack(kind), statement)
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == PERMISSION_DENIED, outcome


def test_an_injection_through_names_and_the_runner_is_data(keys: KeyWorld) -> None:
    """A name is stored as written; a scope carrying SQL never reaches a statement."""
    world = keys.world
    name = "x'); DROP TABLE jobforge.jobforge_api_keys; --"
    key = insert_key(world.worker.url, world.tenant_a, name=name)
    with connect(world.producer.url) as conn:
        rows = conn.execute(
            "SELECT name FROM jobforge.jobforge_api_keys WHERE key_id = %s", (key.key_id,)
        ).fetchall()
    assert rows == [{"name": name}]
    from jobforge.errors import ConnectorFailure  # noqa: PLC0415

    with pytest.raises(ConnectorFailure, match="scopes: expected"):
        insert_key(world.worker.url, world.tenant_a, scopes=(INJECTION,))
    assert len(keys.victim_rows()) == 4


def test_keys_that_must_not_authenticate_do_not(keys: KeyWorld) -> None:
    lookup = DatabaseKeyLookup(keys.world.owner_url)
    try:
        assert verify_api_key(keys.victim_key.text, lookup).tenant_id == keys.world.tenant_b
        # In its grace period the rotated-out key still works, and so does its successor.
        assert verify_api_key(keys.victim_rotated_out.text, lookup)
        assert verify_api_key(keys.victim_successor.text, lookup)
        with pytest.raises(ApiKeyRejected, match="revoked"):
            verify_api_key(keys.victim_revoked.text, lookup)
        # The grace period ends (the database's clock: the key's expiry is moved instead).
        with connect(keys.world.owner_url) as owner:
            owner.execute(
                "UPDATE jobforge.jobforge_api_keys SET expires_at = now() WHERE key_id = %s",
                (keys.victim_rotated_out.key_id,),
            )
        with pytest.raises(ApiKeyRejected, match="expired"):
            verify_api_key(keys.victim_rotated_out.text, lookup)
        assert verify_api_key(keys.victim_successor.text, lookup)
        # The attacker's own secret under the victim's key id, and one character off.
        own, victim = keys.own_key.text, keys.victim_key.text
        forged = [victim[:36] + own[36:], victim[:-1] + ("A" if victim[-1] != "A" else "E")]
        for text in forged:
            with pytest.raises(ApiKeyRejected, match=r"mismatch|malformed"):
                verify_api_key(text, lookup)
        with pytest.raises(ApiKeyRejected, match="unknown"):
            verify_api_key(new_key().text, lookup)
    finally:
        lookup.close()


def test_a_key_verifier_may_authenticate_and_do_nothing_else(
    keys: KeyWorld, make_role: Callable[[], TenantRole]
) -> None:
    ingress = make_role()
    lookup = DatabaseKeyLookup(ingress.url)
    with pytest.raises(Exception, match=r"42501|permission denied"):
        lookup(keys.victim_key.key_id)
    lookup.close()
    grant_key_verifier(keys.world.owner_url, ingress.name)
    assert privileges(keys.world.owner_url, ingress.name) == {
        ("schema", "jobforge", "USAGE"),
        ("function", "jobforge_authenticate_api_key", "EXECUTE"),
    }
    lookup = DatabaseKeyLookup(ingress.url)
    try:
        assert verify_api_key(keys.victim_key.text, lookup).tenant_id == keys.world.tenant_b
    finally:
        lookup.close()
    with connect(ingress.url) as conn:
        for statement in ("SELECT key_id FROM jobforge.jobforge_api_keys",
                          "SELECT * FROM jobforge.jobforge_list_api_keys(gen_random_uuid())",
                          "SELECT count(*) FROM jobforge.jobforge_jobs"):  # fmt: skip
            outcome = attempt(conn, statement)
            assert isinstance(outcome, psycopg.Error), statement
            assert outcome.sqlstate == PERMISSION_DENIED
    # A migration's privilege reset keeps it, and a grant of tenants to it keeps it.
    with connect(keys.world.owner_url) as owner:
        owner.execute("SELECT jobforge.jobforge_reset_privileges()")
    with JobForgeClient(keys.world.owner_url) as client:
        client.grant_tenant(ingress.name, uuid.uuid4(), kind="producer")
    assert ("function", "jobforge_authenticate_api_key", "EXECUTE") in privileges(
        keys.world.owner_url, ingress.name
    )
    assert revoke_key_verifier(keys.world.owner_url, ingress.name)
    assert ("function", "jobforge_authenticate_api_key", "EXECUTE") not in privileges(
        keys.world.owner_url, ingress.name
    )
    assert not revoke_key_verifier(keys.world.owner_url, ingress.name)


def test_execute_granted_by_mistake_still_does_not_authenticate(
    keys: KeyWorld, make_role: Callable[[], TenantRole]
) -> None:
    """The RPC checks its caller itself: a stray GRANT EXECUTE is not enough."""
    stray = make_role()
    with connect(keys.world.owner_url) as owner:
        for statement in (
            "GRANT USAGE ON SCHEMA jobforge TO {}",
            "GRANT EXECUTE ON FUNCTION jobforge.jobforge_authenticate_api_key(uuid) TO {}",
        ):
            owner.execute(sql.SQL(statement).format(sql.Identifier(stray.name)))
    with connect(stray.url) as conn:
        outcome = attempt(
            conn,
            "SELECT * FROM jobforge.jobforge_authenticate_api_key(%s)",
            (keys.victim_key.key_id,),
        )
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == "JF003", outcome
    keys.assert_nothing_leaked([str(outcome), outcome.diag.message_hint],
                               supplied=keys.victim_key.key_id)  # fmt: skip


def column_privileges(url: str, role: str) -> set[str]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT a.attname FROM pg_attribute a "
            "WHERE a.attrelid = 'jobforge.jobforge_api_keys'::regclass AND a.attnum > 0 "
            "AND NOT a.attisdropped AND has_column_privilege(%s, a.attrelid, a.attnum, 'SELECT')",
            (role,),
        ).fetchall()
    return {row["attname"] for row in rows}


def test_column_privileges_are_exactly_the_metadata_and_survive_a_reset(
    keys: KeyWorld, database_url: str
) -> None:
    world = keys.world
    assert column_privileges(database_url, world.producer.name) == METADATA_COLUMNS
    assert column_privileges(database_url, world.worker.name) == set()
    for role in (ANON, AUTHENTICATED, "public"):
        assert column_privileges(database_url, role) == set(), role
    with connect(database_url) as owner:
        owner.execute(
            sql.SQL("GRANT SELECT (hash) ON jobforge.jobforge_api_keys TO {}").format(
                sql.Identifier(world.worker.name)
            )
        )
        owner.execute("GRANT SELECT (salt) ON jobforge.jobforge_api_keys TO PUBLIC")
        owner.execute("SELECT jobforge.jobforge_reset_privileges()")
    # The reset takes stray column grants away and gives back what grants call for.
    assert column_privileges(database_url, world.worker.name) == set()
    assert column_privileges(database_url, "public") == set()
    assert column_privileges(database_url, world.producer.name) == METADATA_COLUMNS
    with connect(database_url) as owner:
        owner_name = owner.execute("SELECT current_user AS name").fetchone()
    assert owner_name is not None
    assert column_privileges(database_url, owner_name["name"]) == METADATA_COLUMNS | HASH_COLUMNS
    # Revoking the producer grant takes the columns away.
    with JobForgeClient(database_url) as owner_client:
        owner_client.revoke_tenant(world.producer.name, world.tenant_a, kind="producer")
    assert column_privileges(database_url, world.producer.name) == set()


def test_workers_hold_exactly_the_key_rpcs(keys: KeyWorld, database_url: str) -> None:
    functions = {name for kind, name, _ in privileges(database_url, keys.world.worker.name)
                 if kind == "function"}  # fmt: skip
    assert {"jobforge_insert_api_key", "jobforge_list_api_keys", "jobforge_rotate_api_key",
            "jobforge_revoke_api_key"} <= functions  # fmt: skip
    assert not {name for name in functions if "api_key" in name or "verifier" in name} - {
        "jobforge_insert_api_key", "jobforge_list_api_keys", "jobforge_rotate_api_key",
        "jobforge_revoke_api_key",
    }  # fmt: skip
    producer_functions = {name for kind, name, _ in privileges(database_url,
                          keys.world.producer.name) if kind == "function"}  # fmt: skip
    assert not {name for name in producer_functions if "api_key" in name}
