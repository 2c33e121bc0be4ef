"""The keys runner's handlers, run in-process with recorded store answers.

What they send the ``jobforge.keys.store`` connector, what they make of its answers, and
which payloads they refuse (with the contract's input schema refusing the same ones).
The goldens run here too, without a database; through the worker and PostgreSQL they run
in ``jobforge-contracts replay`` and tests/integration/test_api_keys.py.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import GoldenCase
from jobforge.errors import JobForgeError
from jobforge.handlers import default_registry
from jobforge.replay.compare import is_subset
from jobforge.runners.keys.errors import (
    InvalidExpiry,
    InvalidKeyRequest,
    InvalidStoreResponse,
    KeyNotFound,
    KeyNotRotatable,
)
from jobforge.runners.keys.issue import issue_key
from jobforge.runners.keys.listing import list_keys
from jobforge.runners.keys.names import JOB_TYPES
from jobforge.runners.keys.revoke import revoke_key
from jobforge.runners.keys.rotate import rotate_key
from jobforge.runners.keys.views import key_status
from tests.unit.runners.keys_support import (
    GOLDENS,
    ISSUE_PAYLOAD,
    KEY_ID,
    NEW_KEY_ID,
    NOW,
    ROTATE_PAYLOAD,
    TENANT,
    Run,
    changed,
    job_type_contract,
    stored_key,
)

GOLDEN_FILES = sorted(GOLDENS.glob("*.yaml"))


def test_the_handlers_are_registered() -> None:
    functions = {job_type: default_registry.get(job_type).function for job_type in JOB_TYPES}
    assert functions == {
        "jobforge.keys.issue": issue_key,
        "jobforge.keys.list": list_keys,
        "jobforge.keys.rotate": rotate_key,
        "jobforge.keys.revoke": revoke_key,
    }


def test_issue_stores_the_hash_for_the_jobs_own_tenant() -> None:
    payload = {**ISSUE_PAYLOAD, "expires_at": "2025-06-01T02:00:00+02:00"}
    response = {"created": True, "api_key": stored_key(expires_at="2025-06-01T00:00:00+00:00")}
    run = Run("jobforge.keys.issue", payload, [("insert_key", response)])
    [(operation, request)] = run.calls()
    assert operation == "insert_key"
    assert request == {
        "tenant_id": str(TENANT),
        "key_id": KEY_ID,
        "name": "billing sync",
        "prefix": "jf_ab9117f38933",
        "scopes": ["enqueue:acme.billing.*", "read:jobs"],
        "verifier": ISSUE_PAYLOAD["verifier"],
        "expires_at": "2025-06-01T02:00:00+02:00",
    }
    assert run.output["created"] is True
    assert run.output["key"]["status"] == "active"
    assert [d["decision"] for d in run.decisions()] == ["issue", "stored"]


def test_issuing_again_finds_the_stored_key() -> None:
    run = Run("jobforge.keys.issue", ISSUE_PAYLOAD, [("insert_key", {"created": False,
              "api_key": stored_key()})])  # fmt: skip
    assert run.output["created"] is False


@pytest.mark.parametrize("expires_at", ["2025-03-01T12:00:00Z", "2025-03-01T11:59:59+00:00"])
def test_a_key_expiring_by_the_jobs_time_is_refused_without_calling_the_store(
    expires_at: str,
) -> None:
    with pytest.raises(InvalidExpiry, match="is not after the job's time"):
        Run("jobforge.keys.issue", {**ISSUE_PAYLOAD, "expires_at": expires_at})


# Payloads the runner refuses, with where the refusal points; the contract's input schema
# refuses each of them too, but for those RUNNER_ONLY names: a prefix that belongs to
# another key id (no JSON Schema compares two values). A trailing newline is refused by
# both: patterns are read as ECMA-262, whose `$` does not match before one.
RUNNER_ONLY = {"payload.prefix", "payload.new_key.prefix"}
INVALID_PAYLOADS = [
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["key_id"], KEY_ID.upper()), "payload.key_id"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["prefix"], "jf_000000000000"),
     "payload.prefix"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["name"], ""), "payload.name"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["name"], "a\x1b]0;pwned\x07"), "payload.name"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["scopes"], []), "payload.scopes"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["scopes"], ["read:jobs", "read:jobs"]),
     "payload.scopes"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["scopes", 0], "enqueue:a'--"),
     "payload.scopes[0]"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["scopes", 1], "read:jobs\n"),
     "payload.scopes[1]"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["verifier", "kdf"], "md5"),
     "payload.verifier.kdf"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["verifier", "n"], 1024), "payload.verifier.n"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["verifier", "n"], 20000), "payload.verifier.n"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["verifier", "salt"], "00"),
     "payload.verifier.salt"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["verifier", "hash"], ...), "payload.verifier"),
    ("jobforge.keys.issue", changed(ISSUE_PAYLOAD, ["expires_at"], "2025-06-01"),
     "payload.expires_at"),
    ("jobforge.keys.issue", {**ISSUE_PAYLOAD, "secret": "jf_..."}, "unexpected key 'secret'"),
    ("jobforge.keys.rotate", changed(ROTATE_PAYLOAD, ["grace_seconds"], 2592001),
     "payload.grace_seconds"),
    ("jobforge.keys.rotate", changed(ROTATE_PAYLOAD, ["grace_seconds"], True),
     "payload.grace_seconds"),
    ("jobforge.keys.rotate", changed(ROTATE_PAYLOAD, ["new_key", "prefix"], "jf_ab9117f38933"),
     "payload.new_key.prefix"),
    ("jobforge.keys.revoke", {"key_id": KEY_ID, "reason": ""}, "payload.reason"),
    ("jobforge.keys.revoke", {}, "payload: missing key_id"),
    ("jobforge.keys.list", {"limit": 0}, "payload.limit"),
    ("jobforge.keys.list", {"include_inactive": "yes"}, "payload.include_inactive"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("job_type", "payload", "where"), INVALID_PAYLOADS, ids=[w for _, _, w in INVALID_PAYLOADS]
)
def test_invalid_payloads_are_refused_by_the_runner_and_the_schema(
    job_type: str, payload: Any, where: str
) -> None:
    with pytest.raises(InvalidKeyRequest, match=re.escape(where)):
        Run(job_type, payload)
    schema_refuses = job_type_contract(job_type).input_errors(payload) != []
    assert schema_refuses == (where not in RUNNER_ONLY)


def test_a_new_key_id_equal_to_the_old_one_is_refused() -> None:
    payload = changed(ROTATE_PAYLOAD, ["new_key", "key_id"], KEY_ID)
    payload = changed(payload, ["new_key", "prefix"], "jf_ab9117f38933")
    with pytest.raises(InvalidKeyRequest, match="expected a new key id"):
        Run("jobforge.keys.rotate", payload)


@pytest.mark.parametrize("job_type", JOB_TYPES)
def test_the_example_payloads_pass_the_schema(job_type: str) -> None:
    payload = {
        "jobforge.keys.issue": ISSUE_PAYLOAD,
        "jobforge.keys.rotate": ROTATE_PAYLOAD,
        "jobforge.keys.revoke": {"key_id": KEY_ID, "reason": "leaked"},
        "jobforge.keys.list": {},
    }[job_type]
    assert job_type_contract(job_type).input_errors(payload) == []


def test_rotate_asks_for_the_grace_period_from_the_jobs_time() -> None:
    old = stored_key(replaced_by=NEW_KEY_ID, expires_at="2025-03-01T13:00:00+00:00")
    response = {"outcome": "rotated", "old_key": old, "new_key": stored_key(NEW_KEY_ID)}
    run = Run("jobforge.keys.rotate", ROTATE_PAYLOAD, [("rotate", response)])
    [(_, request)] = run.calls()
    assert request["old_expires_at"] == (NOW + timedelta(hours=1)).isoformat()
    assert request["new_expires_at"] is None
    assert request["tenant_id"] == str(TENANT)
    assert run.output["old_key"]["status"] == "grace"
    assert run.output["new_key"]["status"] == "active"
    assert job_type_contract("jobforge.keys.rotate").output_errors(run.output) == []


@pytest.mark.parametrize(
    ("outcome", "old_key", "error", "message"),
    [
        ("not_found", None, KeyNotFound, "is not a key of this tenant"),
        ("revoked", stored_key(revoked_at="2025-02-01T00:00:00+00:00"), KeyNotRotatable,
         "revoked at 2025-02-01T00:00:00+00:00"),
        ("expired", stored_key(expires_at="2025-02-01T00:00:00+00:00"), KeyNotRotatable,
         "expired at 2025-02-01T00:00:00+00:00"),
        ("replaced", stored_key(replaced_by=NEW_KEY_ID), KeyNotRotatable,
         f"already rotated to key {NEW_KEY_ID}"),
    ],
)  # fmt: skip
def test_rotate_refusals_name_the_reason(
    outcome: str, old_key: Any, error: type[Exception], message: str
) -> None:
    response = {"outcome": outcome, "old_key": old_key, "new_key": None}
    with pytest.raises(error, match=re.escape(message)):
        Run("jobforge.keys.rotate", ROTATE_PAYLOAD, [("rotate", response)])


def test_revoke_reports_a_first_and_a_repeated_revocation() -> None:
    revoked = stored_key(revoked_at="2025-03-01T12:00:00.5+00:00", revoked_reason="leaked")
    for outcome, already in (("revoked", False), ("already_revoked", True)):
        run = Run(
            "jobforge.keys.revoke",
            {"key_id": KEY_ID, "reason": "leaked"},
            [("revoke", {"outcome": outcome, "api_key": revoked})],
        )
        assert run.output == {"key": {**revoked, "status": "revoked"}, "already_revoked": already}
        assert run.calls()[0][1] == {"tenant_id": str(TENANT), "key_id": KEY_ID, "reason": "leaked"}


def test_list_asks_for_valid_keys_unless_told_and_cuts_at_the_limit() -> None:
    keys = [stored_key(f"00000000-0000-4000-8000-00000000000{i}") for i in range(3)]
    run = Run("jobforge.keys.list", {"limit": 2}, [("list_keys", {"keys": keys})])
    assert run.calls()[0][1] == {"tenant_id": str(TENANT), "valid_at": NOW.isoformat(), "limit": 3}
    assert run.output["count"] == 2
    assert run.output["truncated"] is True
    assert [key["key_id"] for key in run.output["keys"]] == [k["key_id"] for k in keys[:2]]
    everything = Run(
        "jobforge.keys.list", {"include_inactive": True}, [("list_keys", {"keys": []})]
    )
    assert everything.calls()[0][1]["valid_at"] is None
    assert everything.output["by_status"] == {"active": 0, "grace": 0, "expired": 0, "revoked": 0}
    assert job_type_contract("jobforge.keys.list").output_errors(run.output) == []


@pytest.mark.parametrize(
    ("job_type", "payload", "operation", "response", "message"),
    [
        ("jobforge.keys.issue", ISSUE_PAYLOAD, "insert_key", ["not", "an", "object"],
         "expected an object"),
        ("jobforge.keys.issue", ISSUE_PAYLOAD, "insert_key", {"created": "yes",
         "api_key": stored_key()}, "created: expected a boolean"),
        ("jobforge.keys.issue", ISSUE_PAYLOAD, "insert_key", {"created": True,
         "api_key": stored_key(NEW_KEY_ID)}, f"expected {KEY_ID}"),
        ("jobforge.keys.issue", ISSUE_PAYLOAD, "insert_key", {"created": True,
         "api_key": changed(stored_key(), ["scopes"], "read:jobs")}, "api_key.scopes"),
        ("jobforge.keys.issue", ISSUE_PAYLOAD, "insert_key", {"created": True,
         "api_key": stored_key(created_at="yesterday")}, "api_key.created_at"),
        ("jobforge.keys.issue", ISSUE_PAYLOAD, "insert_key", {"created": True,
         "api_key": changed(stored_key(), ["name"], ...)}, "api_key: missing name"),
        ("jobforge.keys.revoke", {"key_id": KEY_ID}, "revoke", {"outcome": "gone"},
         "outcome: expected one of"),
        ("jobforge.keys.list", {}, "list_keys", {"keys": None}, "keys: expected a list"),
    ],
)  # fmt: skip
def test_malformed_store_answers_fail_the_job(
    job_type: str, payload: Any, operation: str, response: Any, message: str
) -> None:
    with pytest.raises(InvalidStoreResponse, match=message):
        Run(job_type, payload, [(operation, response)])


def test_status_at_a_time() -> None:
    later = NOW + timedelta(seconds=1)
    assert key_status(expires_at=None, revoked_at=None, replaced_by=None, now=NOW) == "active"
    assert key_status(expires_at=later, revoked_at=None, replaced_by="k", now=NOW) == "grace"
    assert key_status(expires_at=NOW, revoked_at=None, replaced_by="k", now=NOW) == "expired"
    # Revoked whenever it was revoked (the store's clock may run ahead of the job's).
    assert key_status(expires_at=None, revoked_at=later, replaced_by=None, now=NOW) == "revoked"


def load_golden(path: Path) -> GoldenCase:
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    return GoldenCase.model_validate(loaded.data)


def test_each_job_type_has_goldens_and_the_runner_a_normal_an_invalid_and_an_edge_one() -> None:
    goldens = [load_golden(path) for path in GOLDEN_FILES]
    assert {golden.job_type for golden in goldens} == set(JOB_TYPES)
    kinds = Counter(golden.expected_error.kind if golden.expected_error else "output"
                    for golden in goldens)  # fmt: skip
    assert kinds["output"] >= 3
    assert kinds["invalid_input"] >= 1
    assert {"invalid_expiry", "key_not_found", "key_not_rotatable"} <= set(kinds)


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=[path.stem for path in GOLDEN_FILES])
def test_each_golden_in_process(path: Path) -> None:
    golden = load_golden(path)
    contract = job_type_contract(golden.job_type)
    problems = contract.input_errors(golden.input)
    expected_error = golden.expected_error
    wanted = "" if expected_error is None else expected_error.message_contains or ""
    if expected_error is not None and expected_error.kind == "invalid_input":
        assert any(wanted in problem for problem in problems), problems
        return
    assert problems == []
    responses = [(r.operation, r.response) for r in golden.connector_responses]
    assert golden.now is not None
    now = datetime.fromisoformat(str(golden.now))
    if expected_error is not None:
        with pytest.raises(JobForgeError) as caught:
            Run(golden.job_type, golden.input, responses, now=now)
        assert getattr(caught.value, "error_kind", None) == expected_error.kind
        assert wanted in str(caught.value)
        return
    run = Run(golden.job_type, golden.input, responses, now=now)
    assert contract.output_errors(run.output) == []
    if golden.exact:
        assert run.output == golden.expected_output
    else:
        assert is_subset(golden.expected_output, run.output)
