"""A JUnit XML report of a replay, for CI systems that display test results.

The report is ``testsuites`` > one ``testsuite`` per golden file > one ``testcase`` per
golden (``classname`` the job type, ``name`` the golden's name, ``time``), and validates
against the JUnit schema of Jenkins' xUnit plugin (junit-10.xsd, kept in
tests/schemas/junit). That schema forbids ``file`` and ``line`` on a ``testcase``, so the
golden's location goes where the schema allows it and the readers still look:

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
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jobforge.replay.cases import GoldenSpec
from jobforge.replay.compare import differing_paths, restrict
from jobforge.replay.engine import GoldenOutcome

REPORT_NAME = "jobforge-goldens"
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


def write_junit_xml(path: Path, outcomes: Sequence[GoldenOutcome]) -> None:
    """Write the report of ``outcomes`` to ``path`` (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_junit_xml(outcomes))


def render_junit_xml(outcomes: Sequence[GoldenOutcome]) -> bytes:
    """The report as UTF-8 bytes: equal outcomes give equal bytes."""
    root = ET.Element(
        "testsuites",
        name=REPORT_NAME,
        tests=str(len(outcomes)),
        failures=str(_failures(outcomes)),
        errors="0",
        time=_seconds(o.seconds for o in outcomes),
    )
    for file, members in _by_file(outcomes).items():
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
    message = "; ".join(headlines)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return message


def visible_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry (or hides) as ``\\uXXXX``."""
    return _UNWRITABLE_IN_TEXT.sub(_escape, text)


def visible_attribute(text: str) -> str:
    """:func:`visible_text` on one line: tab and newline become ``\\uXXXX`` as well."""
    return _UNWRITABLE_IN_ATTRIBUTE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _by_file(outcomes: Sequence[GoldenOutcome]) -> dict[str, list[GoldenOutcome]]:
    groups: dict[str, list[GoldenOutcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.golden.path.as_posix(), []).append(outcome)
    return groups


def _suite(file: str, outcomes: list[GoldenOutcome]) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        name=visible_attribute(file),
        tests=str(len(outcomes)),
        failures=str(_failures(outcomes)),
        errors="0",
        skipped="0",
        time=_seconds(o.seconds for o in outcomes),
        file=visible_attribute(file),
    )
    for outcome in outcomes:
        suite.append(_case(outcome))
    return suite


def _case(outcome: GoldenOutcome) -> ET.Element:
    golden = outcome.golden
    location = _location(golden)
    case = ET.Element(
        "testcase",
        classname=visible_attribute(golden.job_type),
        name=visible_attribute(golden.name),
        time=_seconds([outcome.seconds]),
    )
    if not outcome.passed:
        failure = ET.SubElement(
            case, "failure", message=visible_attribute(failure_message(outcome))
        )
        # The location comes last: mikepenz/action-junit-report takes the last path:line.
        failure.text = visible_text("\n\n".join([*outcome.problems, f"golden: {location}"]))
    ET.SubElement(case, "system-out").text = visible_text(f"golden: {location}")
    return case


def _location(golden: GoldenSpec) -> str:
    return f"{golden.path.as_posix()}:{golden.line}"


def _failures(outcomes: Iterable[GoldenOutcome]) -> int:
    return sum(1 for outcome in outcomes if not outcome.passed)


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
