"""`jobforge-contracts replay --junit-xml` as CI runs it: a report valid against Jenkins'
junit-10.xsd whose failure message does not change between runs."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

DEADLINE_SECONDS = 60
ENTRY = "jobforge.cli.contracts_entry"  # `python -m` of jobforge-contracts
XSD = Path(__file__).resolve().parents[2] / "schemas" / "junit" / "junit-10.xsd"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r' time="[0-9.]+"')


def replay_with_report(
    project: Path, report: Path, server_url: str, embedded_server_url: str
) -> subprocess.CompletedProcess[str]:
    server = [] if server_url == embedded_server_url else ["--database-url", server_url]
    return subprocess.run(
        [sys.executable, "-m", ENTRY, "replay", "--junit-xml", str(report), *server],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )


def test_two_failing_replays_give_valid_reports_with_the_same_message(
    project: Path, tmp_path: Path, server_url: str, embedded_server_url: str
) -> None:
    golden = project / "goldens" / "autopilot.ops.scan" / "weak-tls.yaml"
    golden.write_text(golden.read_text().replace("severity: high", "severity: low"))
    schema = xmlschema.XMLSchema10(str(XSD))
    reports = []
    for run in ("first", "second"):
        report = tmp_path / "reports" / f"{run}.xml"
        result = replay_with_report(project, report, server_url, embedded_server_url)
        assert result.returncode == 1, result.stdout + result.stderr
        schema.validate(str(report))
        reports.append(report.read_text(encoding="utf-8"))

    roots = [ET.fromstring(text) for text in reports]
    assert [(r.get("tests"), r.get("failures")) for r in roots] == [("2", "1"), ("2", "1")]
    failures = [root.find(".//testcase/failure") for root in roots]
    messages = [failure.get("message") if failure is not None else None for failure in failures]
    assert (
        messages[0]
        == messages[1]
        == (
            "expected_output is not contained in the actual output; "
            "differing field(s): output.findings[1].severity"
        )
    )
    bodies = [failure.text or "" if failure is not None else "" for failure in failures]
    assert UUID.findall(bodies[0]) != UUID.findall(bodies[1])  # other job ids, same message
    assert '-      "severity": "low"' in bodies[0]
    assert bodies[0].endswith("golden: goldens/autopilot.ops.scan/weak-tls.yaml:9")
    suites = roots[0].iter("testsuite")
    failing = [s.get("file") for s in suites if s.find("testcase/failure") is not None]
    assert failing == ["goldens/autopilot.ops.scan/weak-tls.yaml"]
    # Apart from timings and the job ids in the body, the two reports are the same.
    assert [UUID.sub("<id>", TIME.sub("", text)) for text in reports] == [
        UUID.sub("<id>", TIME.sub("", reports[0]))
    ] * 2
