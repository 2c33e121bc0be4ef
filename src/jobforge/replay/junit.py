"""A JUnit XML report of a replay, for CI systems that display test results.

The report is ``testsuites`` > one ``testsuite`` per golden file (sorted by path) > one
``testcase`` per golden (``classname`` the job type, ``name`` the golden's name,
``time``), and validates against the JUnit schema of Jenkins' xUnit plugin (junit-10.xsd,
kept in tests/schemas/junit). That schema forbids ``file`` and ``line`` on a ``testcase``,
so the golden's location goes where the schema allows it and the readers still look:

* ``file`` on the golden file's ``testsuite``: mikepenz/action-junit-report falls back
  to it for annotations;
* ``path:line`` as the last line of the failure body, where that action reads the line
  number from, and which Jenkins, GitLab and dorny/test-reporter show;
* ``path:line`` in every testcase's ``system-out``, so passing goldens show it too.

GitLab's "file" column reads only ``testcase/@file`` and stays empty: a report every
schema-checking reader accepts is worth more. No line number is part of a name, so a CI's
history follows a golden across edits that move it.

The failure ``message`` is the same in every run: job ids and artifact hashes are left
out (golden paths are relative to the project, and no timing is quoted), and for a wrong
``expected_output`` it names the differing fields; a handler's own error message is
quoted as it is. The problems in full (diff, job ids) are the body. Characters XML 1.0
cannot carry (most C0 controls, U+FFFE, U+FFFF, lone surrogates) and other invisible
controls are written as visible ``\\uXXXX`` text, so the file is always well-formed. The
same outcomes give the same bytes; between runs only ``time`` and the job ids in failure
bodies differ.

Every golden file read has its testcase, whatever happened to it: a golden that replayed
passes or has a ``failure``; a golden file that is not a valid golden has an ``error``
(its problems, ``path:line:column`` each; its ``name`` and ``job_type`` where it gives them
as strings, else the path and ``invalid golden``); a valid golden that was not replayed,
because a runner contract or connector has problems, is ``skipped``, and each such
contract file has an ``error`` testcase of its own (classname ``contract files``, name its
path). So CI never reads "no test results" while there are goldens.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobforge.contracts.problems.problem import Problem
from jobforge.contracts.problems.problem_format import text_line
from jobforge.replay.cases import GoldenSpec
from jobforge.replay.compare import differing_paths, restrict
from jobforge.replay.engine import GoldenOutcome
from jobforge.replay.project import InvalidGolden

REPORT_NAME = "jobforge-goldens"
CONTRACT_FILES_CLASS = "contract files"
INVALID_GOLDEN_CLASS = "invalid golden"
NOT_RUN_MESSAGE = "not replayed: a runner contract or connector has problems; fix it first"
# The engine's problem for a wrong expected_output starts so (its diff follows).
OUTPUT_PROBLEM_PREFIX = "expected_output "
# A failure message names at most this many fields; the diff in the body shows them all.
MAX_LISTED_FIELDS = 8
# Failure messages are titles in CI views; the body carries the rest.
MAX_MESSAGE_CHARS = 500

# Not an XML 1.0 Char (C0 controls but tab and newline, lone surrogates, U+FFFE/U+FFFF),
# or an invisible control (CR, which parsers turn into LF; DEL; C1): written as \uXXXX.
_UNWRITABLE_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Attribute values are one line: tab and newline are written as \uXXXX too.
_UNWRITABLE_IN_ATTRIBUTE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# "(abcdef012345… vs 543210fedcba…)": the artifact hashes of a nondeterministic handler.
_HASH_PAIR = re.compile(r" \(\S+… vs \S+…\)")


@dataclass(frozen=True)
class _Case:
    """One testcase, the file whose suite holds it, and what it counts as."""

    file: str
    element: ET.Element
    verdict: str  # "passed", "failure", "error" or "skipped"
    seconds: float = 0.0


def write_junit_xml(
    path: Path,
    outcomes: Sequence[GoldenOutcome],
    *,
    invalid: Sequence[InvalidGolden] = (),
    not_run: Sequence[GoldenSpec] = (),
    contract_problems: Sequence[Problem] = (),
) -> None:
    """Write the report to ``path`` (creating its folder); see :func:`render_junit_xml`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        render_junit_xml(
            outcomes, invalid=invalid, not_run=not_run, contract_problems=contract_problems
        )
    )


def render_junit_xml(
    outcomes: Sequence[GoldenOutcome],
    *,
    invalid: Sequence[InvalidGolden] = (),
    not_run: Sequence[GoldenSpec] = (),
    contract_problems: Sequence[Problem] = (),
) -> bytes:
    """The report as UTF-8 bytes: the goldens replayed (``outcomes``), the golden files
    that are not valid goldens, the goldens ``not_run``, and the contract files whose
    problems kept them from running. Equal inputs give equal bytes."""
    cases = [
        *(_case(outcome) for outcome in outcomes),
        *(_invalid_case(golden) for golden in invalid),
        *(_skipped_case(golden) for golden in not_run),
        *_contract_cases(contract_problems),
    ]
    root = ET.Element(
        "testsuites",
        name=REPORT_NAME,
        tests=str(len(cases)),
        failures=_count(cases, "failure"),
        errors=_count(cases, "error"),
        time=_seconds(case.seconds for case in cases),
    )
    for file, members in sorted(_by_file(cases).items()):
        root.append(_suite(file, members))
    tree = ET.ElementTree(root)
    ET.indent(tree)
    document = io.BytesIO()
    tree.write(document, encoding="utf-8", xml_declaration=True)
    document.write(b"\n")
    return document.getvalue()


def failure_message(outcome: GoldenOutcome) -> str:
    """The first line of each problem, less what changes between runs, joined with "; ";
    a wrong ``expected_output`` also names the differing fields."""
    headlines: list[str] = []
    for problem in outcome.problems:
        headline = _headline(problem, outcome)
        if headline not in headlines:
            headlines.append(headline)
    return _shortened("; ".join(headlines))


def _shortened(message: str) -> str:
    if len(message) > MAX_MESSAGE_CHARS:
        return message[: MAX_MESSAGE_CHARS - 1] + "…"
    return message


def visible_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry (or hides) as ``\\uXXXX``."""
    return _UNWRITABLE_IN_TEXT.sub(_escape, text)


def visible_attribute(text: str) -> str:
    """:func:`visible_text` on one line: tab and newline become ``\\uXXXX`` as well."""
    return _UNWRITABLE_IN_ATTRIBUTE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _by_file(cases: Sequence[_Case]) -> dict[str, list[_Case]]:
    groups: dict[str, list[_Case]] = {}
    for case in cases:
        groups.setdefault(case.file, []).append(case)
    return groups


def _suite(file: str, cases: list[_Case]) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        name=visible_attribute(file),
        tests=str(len(cases)),
        failures=_count(cases, "failure"),
        errors=_count(cases, "error"),
        skipped=_count(cases, "skipped"),
        time=_seconds(case.seconds for case in cases),
        file=visible_attribute(file),
    )
    for case in cases:
        suite.append(case.element)
    return suite


def _case(outcome: GoldenOutcome) -> _Case:
    golden = outcome.golden
    location = _location(golden)
    case = _testcase(golden.job_type, golden.name, seconds=outcome.seconds)
    if not outcome.passed:
        failure = ET.SubElement(
            case, "failure", message=visible_attribute(failure_message(outcome))
        )
        # The location comes last: mikepenz/action-junit-report takes the last path:line.
        failure.text = visible_text("\n\n".join([*outcome.problems, f"golden: {location}"]))
    ET.SubElement(case, "system-out").text = visible_text(f"golden: {location}")
    verdict = "passed" if outcome.passed else "failure"
    return _Case(golden.path.as_posix(), case, verdict, outcome.seconds)


def _invalid_case(golden: InvalidGolden) -> _Case:
    location = f"{golden.path}:{golden.line}"
    case = _testcase(golden.job_type or INVALID_GOLDEN_CLASS, golden.name or golden.path)
    error = ET.SubElement(
        case, "error", message=visible_attribute(_shortened(golden.message)), type="invalid golden"
    )
    lines = [text_line(problem) for problem in golden.problems]
    error.text = visible_text("\n".join([*lines, "", f"golden: {location}"]))
    ET.SubElement(case, "system-out").text = visible_text(f"golden: {location}")
    return _Case(golden.path, case, "error")


def _skipped_case(golden: GoldenSpec) -> _Case:
    location = _location(golden)
    case = _testcase(golden.job_type, golden.name)
    ET.SubElement(case, "skipped", message=NOT_RUN_MESSAGE)
    ET.SubElement(case, "system-out").text = visible_text(f"golden: {location}")
    return _Case(golden.path.as_posix(), case, "skipped")


def _contract_cases(problems: Sequence[Problem]) -> list[_Case]:
    """One error testcase per contract file with problems."""
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.path, []).append(problem)
    cases = []
    for file, found in sorted(by_file.items()):
        case = _testcase(CONTRACT_FILES_CLASS, file)
        count = f"{len(found)} problem{'' if len(found) == 1 else 's'}"
        error = ET.SubElement(
            case,
            "error",
            message=visible_attribute(f"{count}; no golden was replayed"),
            type="invalid contract file",
        )
        error.text = visible_text("\n".join(text_line(problem) for problem in found))
        cases.append(_Case(file, case, "error"))
    return cases


def _testcase(classname: str, name: str, *, seconds: float = 0.0) -> ET.Element:
    return ET.Element(
        "testcase",
        classname=visible_attribute(classname),
        name=visible_attribute(name),
        time=_seconds([seconds]),
    )


def _location(golden: GoldenSpec) -> str:
    return f"{golden.path.as_posix()}:{golden.line}"


def _count(cases: Iterable[_Case], verdict: str) -> str:
    return str(sum(1 for case in cases if case.verdict == verdict))


def _seconds(values: Iterable[float]) -> str:
    """A total in the schema's time format (digits, a point, three decimals)."""
    total = sum(value for value in values if math.isfinite(value) and value > 0)
    return f"{total:.3f}"


def _headline(problem: str, outcome: GoldenOutcome) -> str:
    headline = _without_run_details(problem.split("\n", 1)[0], outcome)
    if problem.startswith(OUTPUT_PROBLEM_PREFIX):
        fields = _output_fields(outcome.golden, outcome.actual_output)
        headline = f"{headline.rstrip(':')}; differing field(s): {_listed(fields)}"
    return headline


def _without_run_details(line: str, outcome: GoldenOutcome) -> str:
    """``line`` without what differs from run to run: job ids and artifact hashes."""
    for job_id in outcome.job_ids:
        line = line.replace(f" (job {job_id})", "").replace(f"job {job_id}", "the job")
        line = line.replace(str(job_id), "<job id>")
    return _HASH_PAIR.sub("", line)


def _output_fields(golden: GoldenSpec, actual: Any) -> list[str]:
    """The fields the engine's diff shows as differing (the same pair of values)."""
    shown = actual if golden.exact else restrict(actual, golden.expected_output)
    return list(differing_paths(golden.expected_output, shown)) or ["output"]


def _listed(fields: list[str]) -> str:
    listed = ", ".join(fields[:MAX_LISTED_FIELDS])
    hidden = len(fields) - MAX_LISTED_FIELDS
    return f"{listed} and {hidden} more" if hidden > 0 else listed
