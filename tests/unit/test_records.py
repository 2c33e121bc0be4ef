"""The records an attempt leaves, as the worker renders them (text) and as values."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from jobforge.determinism.canonical import canonical_json_text, canonical_sha256
from jobforge.determinism.records import output_artifact, snapshot_input
from jobforge.handlers import HandlerRegistry
from jobforge.worker.execution import JobRunner
from tests.unit.test_canonical_json import JSON_VALUES, STORABLE_TEXT

MOMENTS = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]))


@given(
    payload=JSON_VALUES,
    runner_id=st.none() | STORABLE_TEXT,
    runner_version=st.none() | STORABLE_TEXT,
    now=MOMENTS,
    seed=st.integers(min_value=0, max_value=2**63 - 1),
    responses=st.lists(st.dictionaries(STORABLE_TEXT, JSON_VALUES, max_size=3), max_size=2),
)
def test_snapshot_text_is_the_canonical_json_of_the_snapshot(
    payload: Any,
    runner_id: str | None,
    runner_version: str | None,
    now: datetime,
    seed: int,
    responses: list[dict[str, Any]],
) -> None:
    snapshot = snapshot_input(
        job_type="a.b",
        payload=payload,
        runner_id=runner_id,
        runner_version=runner_version,
        now=now,
        seed=seed,
    )
    text = snapshot.to_json_text(canonical_json_text(responses))
    assert text == canonical_json_text(snapshot.to_json(responses))
    assert json.loads(json.loads(text)["payload_canonical"]) == payload


@given(JSON_VALUES)
def test_artifact_is_the_canonical_json_its_hash_and_size(output: Any) -> None:
    artifact = output_artifact(output)
    assert artifact.canonical == canonical_json_text(output)
    assert artifact.sha256 == canonical_sha256(output)
    assert artifact.size_bytes == len(artifact.canonical.encode("utf-8"))


def test_no_output_is_the_json_null_artifact() -> None:
    artifact = output_artifact(None)
    assert (artifact.canonical, artifact.size_bytes) == ("null", 4)
    assert artifact.sha256 == hashlib.sha256(b"null").hexdigest()


def test_a_remembered_timestamp_keeps_its_own_utc_offset() -> None:
    """Jobs of one claim share their start time, so the worker formats it once; the same
    instant written with another offset (a replay's pinned clock) is another text."""
    runner = JobRunner(HandlerRegistry(), "worker", None)
    in_utc = datetime(2026, 11, 28, 19, 30, tzinfo=UTC)
    in_india = in_utc.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert runner.isoformat(in_utc) == "2026-11-28T19:30:00+00:00"
    assert runner.isoformat(in_india) == "2026-11-29T01:00:00+05:30"
    assert runner.isoformat(in_utc) == "2026-11-28T19:30:00+00:00"


def test_a_remembered_timestamp_is_not_reused_across_a_repeated_hour() -> None:
    """In the hour a DST change repeats, two instants share their wall time and zone;
    only ``fold`` tells them apart, and their texts differ in the offset."""
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 2, 30, tzinfo=berlin)
    second = first.replace(fold=1)
    runner = JobRunner(HandlerRegistry(), "worker", None)
    assert runner.isoformat(first) == "2026-10-25T02:30:00+02:00"
    assert runner.isoformat(second) == "2026-10-25T02:30:00+01:00"
