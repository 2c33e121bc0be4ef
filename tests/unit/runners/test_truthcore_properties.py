"""Properties of a verification over generated record sets.

- No rule depends on the records' order: a permutation keeps the verdict and every count.
- Every rule's violations are its evidence plus the evidence left out, and no more
  evidence is shown than the cap.
- The output obeys the contract's output_schema, and does not depend on the order of the
  keys of the payload (the live run reads it from jsonb, a replay from a sorted snapshot).
- The checksum rule agrees with hashlib and zlib over canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
import zlib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import ConnectorSession
from jobforge.context import JobContext
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import RunnerConfig
from jobforge.determinism.trace import DecisionTrace
from jobforge.replay.cases import DEFAULT_NOW
from jobforge.runners.truthcore.rules import parse_rules
from jobforge.runners.truthcore.verify import JOB_TYPE, verify

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "runners" / "truthcore.verify.yaml"
_loaded = load_file(CONTRACT, CONTRACT.name)
_job_type = RunnerConfig.model_validate(_loaded.data).job_types[JOB_TYPE]
INPUT_VALIDATOR = Draft202012Validator(_job_type.input_schema)
OUTPUT_VALIDATOR = Draft202012Validator(_job_type.output_schema)

FIELDS = ("a", "b", "c", "é")
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-10, 10, allow_nan=False)
    | st.sampled_from(["x", "y", "2024-01-01", "ü"])
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)  # fmt: skip
RECORDS = st.lists(
    st.dictionaries(st.sampled_from(FIELDS), SCALARS, max_size=len(FIELDS)), max_size=12
)
RULES: list[dict[str, Any]] = [
    {"type": "schema", "schema": {"properties": {"a": {"type": ["integer", "null"]}}}},
    {"type": "range", "field": "a", "min": -2, "max": 2},
    {"type": "range", "field": "b", "min": 0, "inclusive": False, "allow_missing": True},
    {"type": "cross_field", "op": "le", "field": "a", "other": "b"},
    {"type": "cross_field", "op": "ne", "field": "c", "other": "a", "allow_missing": True},
    {"type": "cross_field", "op": "sum_equals", "field": "c", "fields": ["a", "b"]},
    {"type": "checksum", "field": "c", "algorithm": "crc32", "over_fields": ["a", "b"]},
    {"type": "unique", "field": "a"},
    {"type": "unique", "field": "é", "allow_missing": True},
    {"type": "required_if", "field": "b", "when": {"field": "a", "op": "in", "value": [0, 1]}},
]


def run(payload: dict[str, Any]) -> dict[str, Any]:
    trace = DecisionTrace(runner_id="truthcore.verify")
    ctx = JobContext(
        job_id=uuid.UUID(int=1),
        tenant_id=uuid.UUID(int=2),
        job_type=JOB_TYPE,
        attempt=1,
        max_attempts=1,
        trace_id="trace",
        worker_id="test",
        now=DEFAULT_NOW,
        seed=0,
        trace=trace,
        connectors=ConnectorSession(ConnectorRegistry(), [], trace.record),
    )
    return verify(payload, ctx)


def counts(output: dict[str, Any]) -> list[tuple[int, int, int]]:
    return [(r["checked"], r["records_failed"], r["violations"]) for r in output["rules"]]


def shuffled_keys(value: Any, generator: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        generator.shuffle(keys)
        return {key: shuffled_keys(value[key], generator) for key in keys}
    if isinstance(value, list):
        return [shuffled_keys(item, generator) for item in value]
    return value


@settings(max_examples=150, deadline=None)
@given(records=RECORDS, data=st.data())
def test_reordering_records_changes_no_verdict_and_no_count(
    records: list[dict[str, Any]], data: st.DataObject
) -> None:
    payload = {"records": records, "rules": RULES, "max_evidence_per_rule": 3}
    assert not list(INPUT_VALIDATOR.iter_errors(payload))
    permuted = data.draw(st.permutations(records))
    original, reordered = run(payload), run({**payload, "records": permuted})
    assert original["verdict"] == reordered["verdict"]
    assert counts(original) == counts(reordered)
    assert original["summary"] == reordered["summary"]


@settings(max_examples=150, deadline=None)
@given(records=RECORDS, cap=st.integers(0, 4), seed=st.integers(0, 2**32))
def test_counts_are_evidence_plus_the_rest_and_the_output_obeys_its_schema(
    records: list[dict[str, Any]], cap: int, seed: int
) -> None:
    payload = {"records": records, "rules": RULES, "max_evidence_per_rule": cap}
    output = run(payload)
    assert not list(OUTPUT_VALIDATOR.iter_errors(output))
    for report in output["rules"]:
        assert report["violations"] == len(report["evidence"]) + report["evidence_omitted"]
        assert len(report["evidence"]) == min(cap, report["violations"])
        assert report["records_failed"] <= min(report["checked"], report["violations"])
        assert report["passed"] is (report["violations"] == 0)
        positions = [item["record"] for item in report["evidence"]]
        assert positions == sorted(positions)
    assert output["summary"]["violations"] == sum(r["violations"] for r in output["rules"])
    assert output["verdict"] == ("pass" if output["summary"]["violations"] == 0 else "fail")
    # jsonb and a replay snapshot order keys differently: the output must not notice.
    assert run(shuffled_keys(payload, random.Random(seed))) == output


@settings(max_examples=200, deadline=None)
@given(
    record=st.dictionaries(TEXT.filter(lambda key: key != "digest"), JSON_VALUES, max_size=4),
    algorithm=st.sampled_from(["sha256", "md5", "crc32"]),
    data=st.data(),
)
def test_checksum_agrees_with_hashlib(
    record: dict[str, Any], algorithm: str, data: st.DataObject
) -> None:
    names = sorted(record)
    covered = data.draw(st.lists(st.sampled_from(names), unique=True, min_size=1)) if names else []
    text = json.dumps(
        {name: record[name] for name in covered},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    if algorithm == "crc32":
        expected = f"{zlib.crc32(text):08x}"
    else:
        expected = hashlib.new(algorithm, text, usedforsecurity=False).hexdigest()
    if not covered:
        return
    rule = {"type": "checksum", "field": "digest", "algorithm": algorithm, "over_fields": covered}
    (parsed,) = parse_rules([rule])
    assert parsed.check([{**record, "digest": expected}]).violations == []
    assert parsed.check([{**record, "digest": expected.upper()}]).violations == []
    wrong = expected[:-1] + ("0" if expected[-1] != "0" else "1")
    (violation,) = parsed.check([{**record, "digest": wrong}]).violations
    assert violation.expected == f"{algorithm} {expected}"


def test_evidence_of_all_rules_stays_within_one_budget() -> None:
    """1,000 evidence items in all, in rule order: the output stays well under 1 MiB."""
    long_text = "x" * 10_000
    records = [{"n": -1, "s": long_text} for _ in range(700)]
    rules = [{"type": "range", "field": field, "min": 0} for field in ("n", "s", "n")]
    output = run({"records": records, "rules": rules, "max_evidence_per_rule": 1000})
    shown = [len(report["evidence"]) for report in output["rules"]]
    assert shown == [700, 300, 0]
    for report in output["rules"]:
        assert report["violations"] == 700 == len(report["evidence"]) + report["evidence_omitted"]
    assert output["rules"][1]["evidence"][0]["actual_truncated"] is True
    assert len(json.dumps(output, ensure_ascii=False).encode()) < 1024 * 1024
