"""The replay's JUnit report: valid against Jenkins' junit-10.xsd, always well-formed,
deterministic, with failure messages that do not change from run to run."""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from jobforge.replay.cases import GoldenSpec
from jobforge.replay.compare import restrict, unified_diff
from jobforge.replay.engine import GoldenOutcome
from jobforge.replay.junit import (
    MAX_LISTED_FIELDS,
    failure_message,
    render_junit_xml,
    visible_attribute,
    write_junit_xml,
)

XSD = Path(__file__).resolve().parents[2] / "schemas" / "junit" / "junit-10.xsd"
SCHEMA = xmlschema.XMLSchema10(str(XSD))

EXPECTED = {"passed": False, "findings": [{"check": "tls", "severity": "low"}]}
ACTUAL = {
    "passed": False,
    "scanned_at": "2000-01-01T00:00:00+00:00",
    "findings": [{"check": "tls", "severity": "high", "message": "TLS 1.0"}],
}
# Characters XML 1.0 cannot carry, plus the invisible ones the report also spells out.
UNWRITABLE = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\ud800", "\udfff"]
UNWRITABLE += ["\ufffe", "\uffff", "\r"]


def golden(name: str = "a weak zone gets findings", **changes: Any) -> GoldenSpec:
    fields: dict[str, Any] = {
        "name": name,
        "path": Path("goldens/autopilot.ops.scan/weak-tls.yaml"),
        "line": 9,
        "job_type": "autopilot.ops.scan",
        "tenant_id": "00000000-0000-4000-8000-000000000001",
        "input": {"zone": "legacy.example.com"},
        "expected_output": EXPECTED,
    }
    fields.update(changes)
    return GoldenSpec(**fields)


def passed(spec: GoldenSpec | None = None, seconds: float = 0.012) -> GoldenOutcome:
    return GoldenOutcome(
        golden=spec or golden(),
        job_ids=[uuid.uuid4(), uuid.uuid4()],
        actual_output=ACTUAL,
        seconds=seconds,
    )


def wrong_output(spec: GoldenSpec | None = None, actual: Any = ACTUAL) -> GoldenOutcome:
    """An outcome as the engine reports a wrong expected_output: a fresh job id, a diff."""
    spec = spec or golden()
    job_id = uuid.uuid4()
    shown = actual if spec.exact else restrict(actual, spec.expected_output)
    diff = unified_diff(
        spec.expected_output, shown, expected_label="expected_output", actual_label="actual output"
    )
    how = "equal to" if spec.exact else "contained in"
    return GoldenOutcome(
        golden=spec,
        job_ids=[job_id, uuid.uuid4()],
        problems=[f"expected_output is not {how} the actual output (job {job_id}):\n{diff}"],
        actual_output=actual,
        seconds=0.034,
    )


def valid_report(outcomes: list[GoldenOutcome]) -> ET.Element:
    """The report, checked well-formed (expat) and valid against junit-10.xsd."""
    data = render_junit_xml(outcomes)
    root = ET.fromstring(data)
    SCHEMA.validate(io.BytesIO(data))
    return root


def test_a_passing_report_is_valid_and_shaped_for_ci_readers(tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.xml"
    write_junit_xml(report, [passed(), passed(golden("hardened", path=Path("goldens/h.yaml")))])
    SCHEMA.validate(str(report))
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("time")) == ("2", "0", "0.024")
    suites = root.findall("testsuite")
    assert [s.get("file") for s in suites] == [
        "goldens/autopilot.ops.scan/weak-tls.yaml",
        "goldens/h.yaml",
    ]
    case = suites[0].find("testcase")
    assert case is not None
    assert case.attrib == {
        "classname": "autopilot.ops.scan",
        "name": "a weak zone gets findings",
        "time": "0.012",
    }
    assert case.findtext("system-out") == "golden: goldens/autopilot.ops.scan/weak-tls.yaml:9"
    assert case.find("failure") is None


def test_goldens_of_one_file_share_its_suite() -> None:
    root = valid_report([passed(golden("one")), wrong_output(golden("two")), passed()])
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    assert [c.get("name") for c in suite.findall("testcase")] == [
        "one",
        "two",
        "a weak zone gets findings",
    ]


def test_a_wrong_output_names_the_fields_and_keeps_the_diff_in_the_body() -> None:
    outcome = wrong_output()
    failure = valid_report([outcome]).find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == (
        "expected_output is not contained in the actual output; "
        "differing field(s): output.findings[0].severity"
    )
    body = failure.text or ""
    assert body == "\n\n".join([*outcome.problems, f"golden: {outcome.golden.location}"])
    assert '-      "severity": "low"' in body
    assert '+      "severity": "high"' in body
    assert str(outcome.job_ids[0]) in body


def test_an_exact_golden_names_the_extra_fields_too() -> None:
    outcome = wrong_output(golden(exact=True))
    assert failure_message(outcome) == (
        "expected_output is not equal to the actual output; differing field(s): "
        "output.findings[0].message, output.findings[0].severity, output.scanned_at"
    )


def test_a_long_list_of_fields_is_cut_in_the_message() -> None:
    expected = {f"field_{n:02d}": n for n in range(MAX_LISTED_FIELDS + 3)}
    actual = dict.fromkeys(expected, -1)
    message = failure_message(wrong_output(golden(expected_output=expected), actual))
    assert message.endswith("output.field_07 and 3 more")
    assert "output.field_08" not in message


def test_the_message_is_the_same_for_two_runs_with_other_job_ids_and_hashes() -> None:
    def nondeterministic_run() -> GoldenOutcome:
        first, second = uuid.uuid4(), uuid.uuid4()
        return GoldenOutcome(
            golden=golden(),
            job_ids=[first, second],
            problems=[
                f"job {first} failed (HandlerError): bad zone {first}",
                f"the second run (determinism check) failed: job {second} did not finish",
                f"not deterministic: two runs of the same input gave different artifacts "
                f"({uuid.uuid4().hex[:12]}… vs {uuid.uuid4().hex[:12]}…); differing field(s): "
                "output.scanned_at. Use ctx.now, ctx.random and connectors.",
            ],
            seconds=float(first.int % 1000),
        )

    one, other = nondeterministic_run(), nondeterministic_run()
    assert (
        failure_message(one)
        == failure_message(other)
        == (
            "the job failed (HandlerError): bad zone <job id>; "
            "the second run (determinism check) failed: the job did not finish; "
            "not deterministic: two runs of the same input gave different artifacts; "
            "differing field(s): output.scanned_at. Use ctx.now, ctx.random and connectors."
        )
    )
    assert failure_message(wrong_output()) == failure_message(wrong_output())


def test_equal_outcomes_give_equal_bytes() -> None:
    outcomes = [passed(), wrong_output(golden("b", path=Path("goldens/b.yaml")))]
    data = render_junit_xml(outcomes)
    assert render_junit_xml(outcomes) == data
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<testsuites")
    assert data.endswith(b"</testsuites>\n")


def test_the_location_is_the_last_path_and_line_in_the_failure_body() -> None:
    """mikepenz/action-junit-report takes the suite's ``file`` and, lacking a ``line``,
    the number after the last `` <file>…:<digits>`` of the failure body."""
    spec = golden(expected_output={"note": "see goldens/autopilot.ops.scan/weak-tls.yaml:2"})
    outcome = wrong_output(spec, {"note": "goldens/autopilot.ops.scan/weak-tls.yaml:3"})
    suite = valid_report([outcome]).find("testsuite")
    assert suite is not None
    file, body = suite.get("file") or "", suite.findtext("testcase/failure") or ""
    matches = re.findall(rf" [^ ]*{re.escape(file)}.*?:\d+", body)
    assert len(matches) > 1
    assert matches[-1].split(":")[-1] == "9"


HOSTILE_NAMES = [
    "bell\x07 and null\x00 and escape\x1b[31m",
    "ends a CDATA section ]]> and opens <![CDATA[ one",
    'quotes " \' and markup <testcase name="x"/> &amp; &',
    "emoji 🦀🧪 and a flag 🇫🇷 and a joiner 👩‍💻",
    "lone surrogates \ud800 \udfff and non-characters \ufffe \uffff",
    "line\nbreaks\r\nand\ttabs",
    "very long " + "x" * 20_000,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_names_give_a_valid_report(name: str) -> None:
    spec = golden(name, job_type=name, path=Path(f"goldens/{name}.yaml"))
    outcome = wrong_output(spec, {"passed": name, "findings": [{name: name}]})
    outcome.problems.append(f"decision {name!r} lacks expected_trace_keys [{name!r}]")
    root = valid_report([outcome, passed(spec)])
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == visible_attribute(name)
    assert case.get("classname") == visible_attribute(name)


def test_unwritable_characters_are_spelled_out() -> None:
    name = "a" + "".join(UNWRITABLE) + "\t\nz"
    case = valid_report([wrong_output(golden(name))]).find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == (
        "a\\u0000\\u0001\\u0008\\u000b\\u001b\\u007f\\u0085\\ud800\\udfff\\ufffe\\uffff"
        "\\u000d\\u0009\\u000az"
    )


def test_bad_timings_still_give_a_valid_time() -> None:
    root = valid_report([passed(seconds=float("nan")), passed(seconds=-1.0)])
    assert root.get("time") == "0.000"


# Every character hypothesis draws, plus the ones XML 1.0 cannot carry (which its
# default alphabet leaves out or rarely draws).
ANY_TEXT = st.text(st.one_of(st.characters(codec=None), st.sampled_from(UNWRITABLE)))


@settings(max_examples=200, deadline=None)
@given(name=ANY_TEXT, job_type=ANY_TEXT, folder=ANY_TEXT, problem=ANY_TEXT, output=ANY_TEXT)
def test_any_text_gives_a_well_formed_valid_report(
    name: str, job_type: str, folder: str, problem: str, output: str
) -> None:
    spec = golden(name, job_type=job_type, path=Path("goldens", folder or "x", "case.yaml"))
    outcome = wrong_output(spec, {"passed": output, "findings": [{output: name}]})
    outcome.problems.append(problem)
    root = valid_report([outcome, passed(spec)])
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == visible_attribute(name)
