"""The JUnit report accounts for every golden file, replayed or not: invalid goldens are
errors, goldens not run are skipped, and broken contract files are errors of their own;
the report stays valid against junit-10.xsd whatever the files hold."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from jobforge.contracts.problems.problem import Position, Problem
from jobforge.contracts.problems.rules import INVALID_JSON, UNKNOWN_KEY, WRONG_TYPE
from jobforge.replay.cases import GoldenSpec
from jobforge.replay.engine import GoldenOutcome
from jobforge.replay.junit import CONTRACT_FILES_CLASS, INVALID_GOLDEN_CLASS, render_junit_xml
from jobforge.replay.project import InvalidGolden

XSD = Path(__file__).resolve().parents[2] / "schemas" / "junit" / "junit-10.xsd"
SCHEMA = xmlschema.XMLSchema10(str(XSD))
VALID = "goldens/acme.billing/active.yaml"
INVALID = "goldens/acme.billing/broken.yaml"
RUNNER = "contracts/runners/acme.billing.yaml"


def spec(path: str = VALID, name: str = "an active item") -> GoldenSpec:
    return GoldenSpec(
        name=name,
        path=Path(path),
        line=11,
        job_type="acme.billing.lookup",
        tenant_id="00000000-0000-4000-8000-000000000001",
        input={},
        expected_output={},
    )


def invalid(name: str | None = "a broken item", job_type: str | None = None) -> InvalidGolden:
    """A golden whose tenant is a number (line 6, column 9)."""
    problem = Problem(INVALID, Position(6, 9), ("tenant",), WRONG_TYPE, "expected a string, got 5")
    return InvalidGolden(INVALID, name, job_type, (problem,))


def report(
    outcomes: Sequence[GoldenOutcome] = (),
    *,
    invalid: Sequence[InvalidGolden] = (),
    not_run: Sequence[GoldenSpec] = (),
    contract_problems: Sequence[Problem] = (),
) -> ET.Element:
    """The report, checked well-formed (expat) and valid against junit-10.xsd."""
    data = render_junit_xml(
        outcomes, invalid=invalid, not_run=not_run, contract_problems=contract_problems
    )
    SCHEMA.validate(io.BytesIO(data))
    return ET.fromstring(data)


def test_an_invalid_golden_is_an_error_beside_the_replayed_ones() -> None:
    root = report([GoldenOutcome(golden=spec())], invalid=[invalid(job_type="acme.billing.lookup")])
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "0", "1")
    suites = root.findall("testsuite")
    assert [suite.get("file") for suite in suites] == [VALID, INVALID]
    [case] = suites[1].findall("testcase")
    assert (case.get("classname"), case.get("name")) == ("acme.billing.lookup", "a broken item")
    error = case.find("error")
    assert error is not None
    assert error.get("message") == "tenant: JF110 wrong-type: expected a string, got 5"
    assert (error.text or "").splitlines() == [
        f"{INVALID}:6:9: tenant: JF110 wrong-type: expected a string, got 5",
        "",
        f"golden: {INVALID}:6",
    ]
    assert case.findtext("system-out") == f"golden: {INVALID}:6"


def test_an_invalid_golden_without_name_or_job_type_is_named_by_its_path() -> None:
    [case] = report(invalid=[invalid(name=None)]).iter("testcase")
    assert (case.get("classname"), case.get("name")) == (INVALID_GOLDEN_CLASS, INVALID)


def test_goldens_not_run_are_skipped_and_each_broken_contract_file_is_an_error() -> None:
    problems = [
        Problem(RUNNER, Position(5, 1), ("colour",), UNKNOWN_KEY, "unknown key 'colour'"),
        Problem(RUNNER, Position(9, 3), ("colours",), UNKNOWN_KEY, "unknown key 'colours'"),
        Problem("connectors/x/metadata.json", Position(1, 2), (), INVALID_JSON, "expected '}'"),
    ]
    root = report(not_run=[spec(), spec(name="another")], contract_problems=problems)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "0", "2")
    skipped = [c.get("name") for c in root.iter("testcase") if c.find("skipped") is not None]
    assert skipped == ["an active item", "another"]
    errors = {c.get("name"): c for c in root.iter("testcase") if c.find("error") is not None}
    assert sorted(errors) == ["connectors/x/metadata.json", RUNNER]
    runner = errors[RUNNER]
    assert runner.get("classname") == CONTRACT_FILES_CLASS
    error = runner.find("error")
    assert error is not None
    assert error.get("message") == "2 problems; no golden was replayed"
    assert (error.text or "").count("JF104 unknown-key") == 2
    suite = next(s for s in root.iter("testsuite") if s.get("file") == VALID)
    assert (suite.get("tests"), suite.get("skipped"), suite.get("errors")) == ("2", "2", "0")


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
    | st.text(max_size=40)
)
def test_any_text_in_an_invalid_golden_keeps_the_report_valid(text: str) -> None:
    problem = Problem(INVALID, Position(1, 1), (text,), UNKNOWN_KEY, text)
    root = report(invalid=[InvalidGolden(text or INVALID, text, text, (problem,))])
    assert root.get("errors") == "1"
