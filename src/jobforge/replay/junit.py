"""A JUnit XML report of a replay, for CI systems that display test results."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from jobforge.replay.engine import GoldenOutcome


def write_junit_xml(path: Path, outcomes: Sequence[GoldenOutcome]) -> None:
    failures = sum(1 for outcome in outcomes if not outcome.passed)
    suite = ET.Element(
        "testsuite",
        name="jobforge-goldens",
        tests=str(len(outcomes)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{sum(o.seconds for o in outcomes):.3f}",
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=outcome.golden.job_type,
            name=outcome.golden.name,
            file=str(outcome.golden.path),
            line=str(outcome.golden.line),
            time=f"{outcome.seconds:.3f}",
        )
        if not outcome.passed:
            failure = ET.SubElement(case, "failure", message=outcome.problems[0].splitlines()[0])
            failure.text = "\n\n".join(outcome.problems)
    root = ET.Element("testsuites")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
