"""Values no worker can use, refused on every path: the Python client, the RPCs (as
PostgREST or psql send them) and direct SQL.

Version 1 accepted NaN and Infinity backoff values (the job's failure could then never be
recorded), run_at of infinity, JSON nested 10,000 deep and numbers such as 1e5000 (which
no worker could decode), a 1.5 MiB payload through the RPC, and a 10 MiB payload inserted
from a temporary table (its size CHECK measured compressed bytes).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobforge.client import JobForgeClient
from jobforge.client.json_limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_limit_problem
from jobforge.determinism.canonical import canonical_json
from jobforge.errors import InvalidArgument
from tests.integration.support import claim, connect, enqueue, job
from tests.security.conftest import World, attempt

# What these attacks meet is function bodies, the same under any default privileges (the
# catalogue tests prove the privileges equal), so they run on the plain database only.
pytestmark = pytest.mark.parametrize("database_url", ["plain"], indirect=True)


Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]
CHECK_VIOLATION = "23514"


def nested(depth: int) -> str:
    """JSON text of ``depth`` arrays nested in one another."""
    return "[" * depth + "]" * depth


def padded(size: int) -> str:
    """A JSON object whose canonical text is exactly ``size`` bytes."""
    return json.dumps({"p": "x" * (size - len('{"p":""}'))}, separators=(",", ":"))


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"backoff_base_seconds": "NaN"}, "backoff"),
        ({"backoff_base_seconds": "Infinity"}, "backoff"),
        ({"backoff_cap_seconds": "Infinity"}, "backoff"),
        ({"backoff_cap_seconds": "NaN"}, "backoff"),
        ({"backoff_base_seconds": "-Infinity"}, "backoff"),
        ({"backoff_base_seconds": 0}, "backoff"),
        ({"run_at": "infinity"}, "run_at"),
        ({"run_at": "-infinity"}, "run_at"),
        ({"run_at": "20000-01-01T00:00:00Z"}, "run_at"),
        ({"run_at": "1800-01-01T00:00:00Z"}, "run_at"),
    ],
)
def test_job_fields_no_worker_can_use_are_refused(
    world: World, attack: Attack, fields: dict[str, Any], constraint: str
) -> None:
    document = {"tenant_id": str(world.tenant_a), "type": "a.b", "payload": {}, **fields}
    outcome = attempt(
        attack("producer"),
        "SELECT * FROM jobforge.jobforge_enqueue_jobs(%s)",
        (json.dumps([document]),),
    )
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == CHECK_VIOLATION
    assert constraint in (outcome.diag.constraint_name or "")


PAYLOADS_REFUSED = {
    "nested 10,000 deep": nested(10_000),
    "nested 65 deep": nested(65),
    "objects nested 65 deep": '{"a":' * 65 + "1" + "}" * 65,
    "1e5000": '{"n": 1e5000}',
    "-1e400": "[-1e400]",
    "2^1024": str(2**1024),
    "1.5 MiB": padded(MAX_JSON_BYTES + MAX_JSON_BYTES // 2),
    "1 MiB and a byte": padded(MAX_JSON_BYTES + 1),
}
PAYLOADS_ACCEPTED = {
    "nested 64 deep": nested(64),
    "exactly 1 MiB": padded(MAX_JSON_BYTES),
    # jsonb's text adds ", " between elements: this one's text is over 1 MiB, its
    # canonical form is not.
    "1 MiB only with spaces": json.dumps([1] * (MAX_JSON_BYTES // 2 - 1), separators=(",", ":")),
    "the largest double": "[1.7976931348623157e308, -1.7976931348623157e308]",
    "a tiny number": "[1e-400]",
}


@pytest.mark.parametrize("payload", PAYLOADS_REFUSED.values(), ids=PAYLOADS_REFUSED.keys())
@pytest.mark.parametrize("rpc", ["enqueue_job", "enqueue_jobs"])
def test_payloads_no_worker_can_decode_are_refused(
    world: World, attack: Attack, payload: str, rpc: str
) -> None:
    conn = attack("producer")
    if rpc == "enqueue_job":
        outcome = attempt(
            conn,
            "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', %s::jsonb)",
            (world.tenant_a, payload),
        )
    else:
        document = f'[{{"tenant_id": "{world.tenant_a}", "type": "a.b", "payload": {payload}}}]'
        outcome = attempt(conn, "SELECT * FROM jobforge.jobforge_enqueue_jobs(%s)", (document,))
    assert isinstance(outcome, psycopg.Error), "accepted"
    assert outcome.sqlstate == "JF005", outcome
    assert "payload of a a.b job" in str(outcome)


@pytest.mark.parametrize("payload", PAYLOADS_ACCEPTED.values(), ids=PAYLOADS_ACCEPTED.keys())
def test_payloads_within_the_limits_are_accepted(
    world: World, attack: Attack, payload: str
) -> None:
    outcome = attempt(
        attack("producer"),
        "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', %s::jsonb)",
        (world.tenant_a, payload),
    )
    assert not isinstance(outcome, Exception), outcome
    assert outcome[0]["created"]


@pytest.fixture
def owner(database_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with connect(database_url) as conn:
        yield conn


def test_a_compressed_payload_from_a_temporary_table_is_measured_whole(
    owner: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    """Direct SQL, as the owner (tenants cannot insert at all): 10 MiB of one repeated
    character compresses to a few KiB, which the version 1 CHECK measured."""
    owner.execute(
        "CREATE TEMP TABLE big AS SELECT jsonb_build_object('p', repeat('x', 10485760)) AS p"
    )
    with pytest.raises(psycopg.Error, match="above the limit") as caught:
        owner.execute(
            "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, trace_id) "
            "SELECT gen_random_uuid(), %s, 'a.b', p, 't' FROM big",
            (tenant_id,),
        )
    assert caught.value.sqlstate == "JF005"


@pytest.mark.parametrize("payload", [nested(100), '{"small": 1}'])
def test_a_payload_never_changes_after_enqueue(
    owner: psycopg.Connection[Any], tenant_id: uuid.UUID, payload: str
) -> None:
    """Not even by the owner: the payload is the job's input, recorded with each attempt."""
    job_id = enqueue(owner, tenant_id)
    with pytest.raises(psycopg.Error, match="never changes") as caught:
        owner.execute(
            "UPDATE jobforge.jobforge_jobs SET payload = %s::jsonb WHERE id = %s",
            (payload, job_id),
        )
    assert caught.value.sqlstate == "JF005"
    assert job(owner, job_id)["payload"] == {}


def test_trigger_documents_are_held_to_the_same_limits(world: World, attack: Attack) -> None:
    conn = attack("producer")
    for column in ("payload_filter", "payload_defaults"):
        outcome = attempt(
            conn,
            f"INSERT INTO jobforge.jobforge_triggers (tenant_id, name, event_type, job_type, "
            f"{column}) VALUES (%s, 'deep', 'evt', 'a.b', %s::jsonb)",
            (world.tenant_a, '{"a": ' + nested(70) + "}"),
        )
        assert isinstance(outcome, psycopg.Error), column
        assert outcome.sqlstate == "JF005"


def test_an_event_merged_past_the_limit_is_refused(world: World, attack: Attack) -> None:
    conn = attack("producer")
    half = "x" * (MAX_JSON_BYTES // 2 + 100)
    conn.execute(
        "INSERT INTO jobforge.jobforge_triggers (tenant_id, name, event_type, job_type, "
        "payload_defaults) VALUES (%s, 'half', 'big', 'a.b', %s::jsonb)",
        (world.tenant_a, json.dumps({"first": half})),
    )
    outcome = attempt(
        conn,
        "SELECT * FROM jobforge.jobforge_fire_event(%s, 'big', %s::jsonb)",
        (world.tenant_a, json.dumps({"second": half})),
    )
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == "JF005"


@pytest.mark.parametrize("retry_in", ["NaN", "Infinity", "-Infinity", "1e300", "-5"])
def test_a_failure_with_an_unusable_retry_delay_is_still_recorded(
    owner: psycopg.Connection[Any], tenant_id: uuid.UUID, retry_in: str
) -> None:
    """The delay is clamped to 0 .. 30 days rather than refused: refusing would leave the
    job running until its lease lapsed."""
    job_id = enqueue(owner, tenant_id)
    claim(owner, "w")
    document = (
        f'[{{"job_id": "{job_id}", "attempt": 1, "error": {{}}, "retry_in_seconds": "{retry_in}"}}]'
    )
    [row] = owner.execute(
        "SELECT state::text AS state, run_at - now() AS delay "
        "FROM jobforge.jobforge_fail_jobs('w', %s)",
        (document,),
    ).fetchall()
    assert row["state"] == "awaiting_retry"
    assert 0 <= row["delay"].total_seconds() <= 30 * 86400
    assert job(owner, job_id)["run_at"] < datetime(9000, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"a": {"b": json.loads(nested(70))}}, "job.payload.a.b"),
        ({"ids": [1, 2, 10**400]}, "job.payload.ids[2]"),
        ({"n": -(10**309)}, "job.payload.n"),
    ],
)
def test_the_client_refuses_them_first_naming_the_spot(
    database_url: str, tenant_id: uuid.UUID, payload: Any, where: str
) -> None:
    with JobForgeClient(database_url) as client, pytest.raises(InvalidArgument) as caught:
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload=payload)
    assert str(caught.value).startswith(where), caught.value


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"backoff_base_seconds": math.nan}, "backoff_base_seconds"),
        ({"backoff_base_seconds": math.inf}, "backoff_base_seconds"),
        ({"backoff_cap_seconds": math.inf}, "backoff_cap_seconds"),
        ({"backoff_base_seconds": 10, "backoff_cap_seconds": 5}, "backoff_cap_seconds"),
        ({"run_at": datetime(9500, 1, 1, tzinfo=UTC)}, "run_at"),
    ],
)
def test_the_client_refuses_unusable_job_fields(
    database_url: str, tenant_id: uuid.UUID, fields: dict[str, Any], message: str
) -> None:
    with JobForgeClient(database_url) as client, pytest.raises(InvalidArgument, match=message):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={}, **fields)


def test_a_large_base_raises_the_default_cap(database_url: str, tenant_id: uuid.UUID) -> None:
    with JobForgeClient(database_url) as client:
        receipt = client.enqueue_job(
            tenant_id=tenant_id, type="a.b", payload={}, backoff_base_seconds=600
        )
    with connect(database_url) as conn:
        row = job(conn, receipt.id)
    assert (row["backoff_base_seconds"], row["backoff_cap_seconds"]) == (600, 600)


# -- the limits agree between Python and SQL ----------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    # Positional floats: written alike by Python and PostgreSQL (see docs/SECURITY.md).
    | st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda f: (f == 0 and math.copysign(1, f) > 0) or 1e-4 <= abs(f) < 1e16
    )
    | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=40,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=JSON_VALUES)
def test_sql_measures_canonical_json_as_python_writes_it(
    owner: psycopg.Connection[Any], value: Any
) -> None:
    row = owner.execute(
        "SELECT jobforge.jobforge_json_canonical_octets(%s::jsonb) AS n",
        (json.dumps(value, allow_nan=False),),
    ).fetchone()
    assert row == {"n": len(canonical_json(value))}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    depth=st.integers(min_value=MAX_JSON_DEPTH - 4, max_value=MAX_JSON_DEPTH + 4),
    containers=st.lists(st.sampled_from(["list", "dict"]), min_size=1),
)
def test_sql_and_python_draw_the_nesting_line_in_the_same_place(
    owner: psycopg.Connection[Any], depth: int, containers: list[str]
) -> None:
    value: Any = 1
    for level in range(depth):
        value = [value] if containers[level % len(containers)] == "list" else {"k": value}
    text = json.dumps(value)
    row = owner.execute("SELECT jobforge.jobforge_json_problem(%s::jsonb) AS p", (text,)).fetchone()
    assert row is not None
    in_python = json_limit_problem(value, text, "payload")
    assert (row["p"] is not None) == (in_python is not None) == (depth > MAX_JSON_DEPTH)


@pytest.mark.parametrize(
    ("payload", "accepted"),
    [
        (PAYLOADS_REFUSED["1.5 MiB"], False),
        (PAYLOADS_ACCEPTED["1 MiB only with spaces"], True),
        ('{"s": "' + "\\\\" * 600_000 + '"}', False),
        ('["\\\\\\"", ' + nested(70)[1:], False),
    ],
)
def test_limits_hold_whatever_standard_conforming_strings_says(
    world: World, attack: Attack, payload: str, accepted: bool
) -> None:
    """The size and nesting checks read the text with a regular expression; with
    standard_conforming_strings off, a backslash in a plain literal is an escape."""
    conn = attack("producer")
    conn.execute("SET standard_conforming_strings = off")
    outcome = attempt(
        conn,
        "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', %s::jsonb)",
        (world.tenant_a, payload),
    )
    assert isinstance(outcome, Exception) != accepted, outcome


def test_only_replays_pin_connector_answers(world: World, attack: Attack) -> None:
    """replay_context makes the worker answer connector calls from recordings: a producer
    setting it would have its job "succeed" on answers it made up."""
    forged = {"now": "2026-01-01T00:00:00+00:00", "seed": 1, "connector_responses": []}
    document = {"tenant_id": str(world.tenant_a), "type": "a.b", "payload": {}}
    outcome = attempt(
        attack("producer"),
        "SELECT * FROM jobforge.jobforge_enqueue_jobs(%s)",
        (json.dumps([document, {**document, "replay_context": forged}]),),
    )
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == "JF003"
    with connect(world.owner_url) as owner:
        [row] = owner.execute(
            "SELECT count(*) AS n FROM jobforge.jobforge_enqueue_jobs(%s)",
            (json.dumps([{**document, "replay_context": forged}]),),
        ).fetchall()
    assert row["n"] == 1
