"""Durations, states and the keyset cursor an operator types or copies (no database)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.errors import InvalidArgument
from jobforge.operations import Cursor, JobFilter, parse_duration
from jobforge.operations.filters import duration_text, parse_state, parse_tenant
from jobforge.operations.queries import FRAGMENTS, operations_query, with_fragments

OPERATIONS = Path(__file__).resolve().parents[3] / "src" / "jobforge" / "operations"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        (" 1H ", timedelta(hours=1)),
        ("0s", timedelta()),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "10", "m", "1.5h", "-1h", "1h 30m", "10 minutes", "1y", "99999999w"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidArgument, match="duration"):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=36_500 * 86_400))
def test_duration_text_reads_back(total_seconds: int) -> None:
    duration = timedelta(seconds=total_seconds)
    assert parse_duration(duration_text(duration)) == duration


def test_states_and_tenants() -> None:
    assert parse_state("dead") == "dead"
    with pytest.raises(InvalidArgument, match="expected one of queued, running"):
        parse_state("failed")
    tenant = uuid.uuid4()
    assert parse_tenant(str(tenant)) == tenant
    with pytest.raises(InvalidArgument, match="tenant id"):
        parse_tenant("acme")


@given(job_id=st.uuids())
def test_a_cursor_reads_back_as_the_same_position(job_id: uuid.UUID) -> None:
    text = Cursor(job_id).encode()
    assert re.fullmatch(r"c1\.[A-Za-z0-9_-]{22}", text)
    assert Cursor.decode(text) == Cursor(job_id)


@pytest.mark.parametrize(
    "text", ["", "c1.", "c2." + "A" * 22, "c1." + "A" * 21, "c1." + "A" * 23, "c1." + "!" * 22,
             "A" * 22, "c1." + "A" * 20 + "==", "c1." + "A" * 21 + "B"],
)  # fmt: skip
def test_foreign_text_is_not_a_cursor(text: str) -> None:
    with pytest.raises(InvalidArgument, match="not a cursor printed by a job listing"):
        Cursor.decode(text)


def test_filter_parameters_are_deterministic() -> None:
    job_filter = JobFilter(states=("queued", "dead", "queued"))
    assert job_filter.params()["states"] == ["dead", "queued"]
    assert JobFilter().params()["states"] is None


def test_every_query_parses() -> None:
    text = (OPERATIONS / "queries.sql").read_text(encoding="utf-8")
    names = re.findall(r"^-- ([a-z_]+) --$", text, re.MULTILINE)
    assert len(names) == len(set(names)) > 5
    for name in names:
        if name in FRAGMENTS:
            continue
        assert operations_query(name).strip()
        assert "{{" not in operations_query(name)
    used = set()
    for module in OPERATIONS.glob("*.py"):
        used |= set(re.findall(r'fetch_rows\(\s*conn,\s*"([a-z_]+)"', module.read_text("utf-8")))
    assert used <= set(names)


def test_a_fragment_is_spliced_into_every_query_naming_it() -> None:
    blocks = {"part": "j.a = 1", "one": "SELECT 1 WHERE {{part}}", "two": "SELECT 2"}
    assert with_fragments(blocks, ["part"]) == {
        "one": "SELECT 1 WHERE j.a = 1",
        "two": "SELECT 2",
    }
    with pytest.raises(ValueError, match="'bad': a"):
        with_fragments({"bad": "SELECT {{nothing}}"}, [])
