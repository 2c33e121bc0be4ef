"""API key text, its hash, checking a presented key, and the verification cache.

Lookups here are plain functions over KeyRecords (what the authentication RPC returns;
the RPC itself is tested against PostgreSQL in tests/integration/test_api_keys.py)."""

from __future__ import annotations

import base64
import string
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobforge.errors import InvalidArgument
from jobforge.keys.authentication import KeyRecord, verify_api_key
from jobforge.keys.cache import VerificationCache
from jobforge.keys.errors import ApiKeyRejected, MalformedApiKey
from jobforge.keys.hashing import DEFAULT_PARAMETERS, ScryptParameters, hash_key, key_matches
from jobforge.keys.jobs import prepare_issue, prepare_rotation, revoke_job
from jobforge.keys.material import display_prefix, new_key, parse_key
from jobforge.keys.scopes import ScopeAction

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
MALFORMED_MESSAGES = {
    "not a JobForge API key: expected jf_, 32 hex digits, _ and 43 base64url characters",
    "not a JobForge API key: its secret is not canonical base64url",
}
TENANT = uuid.UUID(int=7)
ID_END = len("jf_") + 32 + 1  # where a key's secret starts


def record_for(text: str, *, status: str = "active", **changes: object) -> KeyRecord:
    """The record the database would hold for the key ``text``."""
    key = parse_key(text)
    fields: dict[str, object] = {
        "key_id": key.key_id,
        "tenant_id": TENANT,
        "scopes": ("enqueue:acme.billing.*",),
        "status": status,
        "expires_at": None,
        "checked_at": NOW,
        "stored": hash_key(text) if status == "active" else None,
    }
    fields.update(changes)
    return KeyRecord(**fields)  # type: ignore[arg-type]


def test_a_new_key_has_its_id_and_256_random_bits_and_parses_back() -> None:
    key = new_key()
    prefix, key_id, secret = key.text[:2], key.text[3:35], key.text[ID_END:]
    assert prefix == "jf"
    assert key.text[2] == key.text[35] == "_"
    assert key_id == key.key_id.hex
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    assert parse_key(key.text) == key
    assert key.prefix == display_prefix(key.key_id) == "jf_" + key.key_id.hex[:12]
    assert key.text.startswith(key.prefix)
    assert key.text not in repr(key)
    assert len({new_key().text for _ in range(50)}) == 50


@given(st.text(alphabet=string.printable, max_size=100))
def test_parse_key_refuses_other_texts_without_repeating_them(text: str) -> None:
    # One fixed message whatever the text: it is never repeated (it may be a real key).
    with pytest.raises(MalformedApiKey) as caught:
        parse_key(text)
    assert str(caught.value) in MALFORMED_MESSAGES


BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def test_parse_key_refuses_near_misses() -> None:
    text = new_key().text
    key_id, secret = text[3:35], text[ID_END:]
    # 32 bytes fill 43 characters with 2 bits to spare, which a canonical key leaves zero;
    # setting one spells the same bytes another way.
    last = BASE64URL.index(secret[-1])
    assert last & 0b11 == 0
    other_spelling = secret[:-1] + BASE64URL[last | 1]
    assert base64.urlsafe_b64decode(other_spelling + "=") == base64.urlsafe_b64decode(secret + "=")
    for bad in [
        text.upper(),
        f"jf_{key_id}_{secret}=",
        f"jf_{key_id}{secret}",
        f"jf_{key_id[:-1]}_{secret}",
        f"jk_{key_id}_{secret}",
        f" {text}",
        f"{text}\n",
        f"jf_{key_id}_{secret[:-1]}",
        f"jf_{key_id}_{other_spelling}",
    ]:
        with pytest.raises(MalformedApiKey) as caught:
            parse_key(bad)
        assert secret not in str(caught.value)


def test_a_hash_checks_its_key_and_nothing_else() -> None:
    key = new_key()
    stored = hash_key(key.text)
    assert stored.parameters == DEFAULT_PARAMETERS == ScryptParameters(2**14, 8, 1)
    assert len(stored.salt) == 16
    assert len(stored.digest) == 32
    assert key_matches(key.text, stored)
    assert not key_matches(key.text[:-1] + ("A" if key.text[-1] != "A" else "B"), stored)
    assert not key_matches(new_key().text, stored)
    # A new salt every time: two hashes of one key differ.
    assert hash_key(key.text).digest != stored.digest
    document = stored.to_json()
    assert document == {
        "kdf": "scrypt", "n": 16384, "r": 8, "p": 1,
        "salt": stored.salt.hex(), "hash": stored.digest.hex(),
    }  # fmt: skip
    assert key.text not in str(document)


@pytest.mark.parametrize(
    ("n", "r", "p"), [(2**13, 8, 1), (2**14 + 1, 8, 1), (2**19, 8, 1), (2**14, 0, 1), (2**14, 8, 5)]
)
def test_cost_parameters_outside_the_stores_range_are_refused(n: int, r: int, p: int) -> None:
    with pytest.raises(InvalidArgument, match="scrypt"):
        ScryptParameters(n, r, p)


def test_verify_accepts_an_active_key_and_says_what_it_may_do() -> None:
    key = new_key()
    record = record_for(key.text)
    verified = verify_api_key(key.text, {key.key_id: record}.get)
    assert (verified.key_id, verified.tenant_id) == (key.key_id, TENANT)
    assert verified.allows(ScopeAction.ENQUEUE, "acme.billing.charge")
    assert not verified.allows(ScopeAction.ENQUEUE, "acme.shipping.charge")
    assert not verified.allows(ScopeAction.READ_JOBS)


def test_verify_refuses_with_a_reason_for_logs_only() -> None:
    key, other = new_key(), new_key()
    active = record_for(key.text)
    cases = {
        "malformed": ("jf_nope", {key.key_id: active}),
        "unknown": (key.text, {}),
        "revoked": (key.text, {key.key_id: record_for(key.text, status="revoked")}),
        "expired": (key.text, {key.key_id: record_for(key.text, status="expired")}),
        # The right id with another key's secret: the hash covers the whole text.
        "mismatch": (
            key.text[:ID_END] + other.text[ID_END:],
            {key.key_id: active},
        ),
    }
    for reason, (text, records) in cases.items():
        with pytest.raises(ApiKeyRejected) as caught:
            verify_api_key(text, records.get)
        assert caught.value.reason == reason
        assert key.text not in str(caught.value)


def test_an_active_record_without_hash_material_is_refused() -> None:
    key = new_key()
    record = record_for(key.text, stored=None)
    with pytest.raises(ApiKeyRejected):
        verify_api_key(key.text, {key.key_id: record}.get)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class CountingLookup:
    def __init__(self, *records: KeyRecord) -> None:
        self.records = {record.key_id: record for record in records}
        self.calls = 0

    def __call__(self, key_id: uuid.UUID) -> KeyRecord | None:
        self.calls += 1
        return self.records.get(key_id)


def test_the_cache_checks_a_key_once_per_ttl_and_never_past_its_expiry() -> None:
    clock = Clock()
    key, short_lived = new_key(), new_key()
    lookup = CountingLookup(
        record_for(key.text),
        record_for(short_lived.text, expires_at=NOW + timedelta(seconds=10)),
    )
    cache = VerificationCache(ttl_seconds=60, clock=clock)
    for _ in range(3):
        assert cache.verify(key.text, lookup).key_id == key.key_id
    assert lookup.calls == 1
    cache.verify(short_lived.text, lookup)
    clock.now = NOW + timedelta(seconds=11)
    cache.verify(short_lived.text, lookup)  # past its expiry: checked again
    cache.verify(key.text, lookup)  # within the TTL: not checked
    assert lookup.calls == 3
    clock.now = NOW + timedelta(seconds=61)
    cache.verify(key.text, lookup)
    assert lookup.calls == 4


def test_the_cache_keeps_no_failures_and_forgets_a_revoked_key_on_request() -> None:
    clock = Clock()
    key = new_key()
    lookup = CountingLookup()
    cache = VerificationCache(clock=clock)
    with pytest.raises(ApiKeyRejected):
        cache.verify(key.text, lookup)
    lookup.records[key.key_id] = record_for(key.text)
    assert cache.verify(key.text, lookup).key_id == key.key_id  # issued a moment ago: works
    assert len(cache) == 1
    lookup.records[key.key_id] = record_for(key.text, status="revoked")
    assert cache.forget(key.key_id) == 1
    with pytest.raises(ApiKeyRejected, match="revoked"):
        cache.verify(key.text, lookup)
    assert len(cache) == 0


def test_the_cache_holds_at_most_max_entries() -> None:
    keys = [new_key() for _ in range(2)]
    lookup = CountingLookup(*(record_for(k.text) for k in keys))
    cache = VerificationCache(max_entries=1)
    cache.verify(keys[0].text, lookup)
    cache.verify(keys[1].text, lookup)
    assert len(cache) == 1
    cache.verify(keys[1].text, lookup)  # the most recent stays
    assert lookup.calls == 2
    cache.verify(keys[0].text, lookup)  # the older one was dropped
    assert lookup.calls == 3
    with pytest.raises(InvalidArgument):
        VerificationCache(ttl_seconds=0)


@settings(max_examples=8, deadline=None)  # two scrypt hashes per example
@given(
    name=st.text(min_size=1, max_size=200).filter(
        lambda text: all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in text)
    ),
    grace_hours=st.integers(min_value=0, max_value=720),
)
def test_job_payloads_carry_no_key_text(name: str, grace_hours: int) -> None:
    key, job = prepare_issue(name=name, scopes=["read:jobs"], parameters=ScryptParameters())
    assert job.job_type == "jobforge.keys.issue"
    assert job.idempotency_key == f"issue:{key.key_id}"
    secret = key.text[ID_END:]
    assert secret not in str(job.payload)
    assert key.text not in str(job.payload)
    assert job.payload["key_id"] == str(key.key_id)
    assert job.payload["prefix"] == key.prefix
    new, rotation = prepare_rotation(key.key_id, grace=timedelta(hours=grace_hours))
    assert rotation.payload["grace_seconds"] == grace_hours * 3600
    assert new.text[ID_END:] not in str(rotation.payload)
    assert rotation.payload["new_key"]["key_id"] == str(new.key_id)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: prepare_issue(name="", scopes=["read:jobs"]), "name: expected 1 to 200"),
        (lambda: prepare_issue(name="a\x1b[2J", scopes=["read:jobs"]), "control characters"),
        (lambda: prepare_issue(name="a", scopes=["admin"]), r"scopes\[0\]"),
        (
            lambda: prepare_issue(name="a", scopes=["read:jobs"], expires_at=datetime(2030, 1, 1)),
            "time zone",
        ),
        (lambda: prepare_rotation("nope"), "key id: expected a UUID"),
        (lambda: prepare_rotation(uuid.uuid4(), grace=timedelta(days=31)), "grace"),
        (lambda: prepare_rotation(uuid.uuid4(), grace=timedelta(seconds=-1)), "grace"),
        (lambda: revoke_job(uuid.uuid4(), reason="x" * 501), "reason"),
    ],
)
def test_job_builders_refuse_bad_values_before_making_a_key(call: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()  # type: ignore[operator]
