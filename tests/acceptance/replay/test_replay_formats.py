"""`jobforge-contracts replay --format json|github` and the JUnit report when goldens are
invalid, in a fresh project made by ``init`` (its own runner, handler and golden)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

DEADLINE_SECONDS = 60
ENTRY = "jobforge.cli.contracts_entry"  # `python -m` of jobforge-contracts
XSD = Path(__file__).resolve().parents[2] / "schemas" / "junit" / "junit-10.xsd"
GOLDEN = "goldens/acme.billing/active-item.yaml"
SECOND = "goldens/acme.billing/second-item.yaml"
RUNNER = "contracts/runners/acme.billing.yaml"
# The line replay reports for the golden: the first line of its expected_output value.
EXPECTED_OUTPUT_LINE = 11


def contracts(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", ENTRY, *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def server(server_url: str, embedded_server_url: str) -> list[str]:
    return [] if server_url == embedded_server_url else ["--database-url", server_url]


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} in {path}"
    file.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``init``'s skeleton plus a second, passing golden."""
    root = tmp_path / "shop"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1.0.0"\n')
    created = contracts(root, "init", "--runner", "acme.billing")
    assert created.returncode == 0, created.stdout + created.stderr
    text = (root / GOLDEN).read_text(encoding="utf-8")
    (root / SECOND).write_text(
        text.replace("name: an active item is reported active", "name: the second item"),
        encoding="utf-8",
    )
    return root


def break_expected_output(root: Path) -> None:
    edit(root, GOLDEN, "\n  status: active\n", "\n  status: paused\n")


def test_json_is_one_document_with_every_goldens_verdict(
    project: Path, server_url: str, embedded_server_url: str
) -> None:
    break_expected_output(project)
    completed = contracts(
        project, "replay", "--format", "json", *server(server_url, embedded_server_url)
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    document = json.loads(completed.stdout)  # progress is not on stdout
    assert document["ok"] is False
    assert document["counts"] == {
        "passed": 1, "failed": 1, "updated": 0, "invalid": 0, "not_run": 0,
    }  # fmt: skip
    failed, passed = document["goldens"]
    assert (failed["path"], failed["line"]) == (GOLDEN, EXPECTED_OUTPUT_LINE)
    assert failed["name"] == "an active item is reported active"
    assert failed["job_type"] == "acme.billing.lookup"
    assert failed["verdict"] == "failed"
    assert failed["message"] == (
        "expected_output is not equal to the actual output; differing field(s): output.status"
    )
    [problem] = failed["problems"]
    assert '-  "status": "paused"' in problem["message"]
    assert (passed["path"], passed["verdict"], passed["problems"]) == (SECOND, "passed", [])
    assert passed["message"] is None
    assert document["problems"] == []


def test_github_annotates_each_failing_golden_at_its_line(
    project: Path, server_url: str, embedded_server_url: str
) -> None:
    break_expected_output(project)
    completed = contracts(
        project, "replay", "--format", "github", *server(server_url, embedded_server_url)
    )
    assert completed.returncode == 1
    annotations = [line for line in completed.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1, completed.stdout
    [annotation] = annotations
    assert annotation.startswith(
        f"::error file={GOLDEN},line={EXPECTED_OUTPUT_LINE},"
        "title=golden failed%3A an active item is reported active::"
        "expected_output is not equal to the actual output; differing field(s): output.status%0A"
    ), annotation
    assert completed.stdout.splitlines()[-1].startswith("1 passed, 1 failed")


def test_an_invalid_golden_is_an_error_in_the_report_and_the_others_still_run(
    project: Path, tmp_path: Path, server_url: str, embedded_server_url: str
) -> None:
    edit(project, SECOND, "tenant: example-tenant", "tenant: 5")
    report = tmp_path / "report.xml"
    completed = contracts(
        project, "replay", "--junit-xml", str(report), *server(server_url, embedded_server_url)
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"{SECOND}:6:9: tenant: " in completed.stdout
    assert completed.stdout.splitlines()[-1].startswith("1 passed, 0 failed, 1 invalid (")
    assert "files checked" not in completed.stdout
    xmlschema.XMLSchema10(str(XSD)).validate(str(report))
    root = ET.parse(report).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "0", "1")
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert sorted(cases) == ["an active item is reported active", "the second item"]
    valid, invalid = cases["an active item is reported active"], cases["the second item"]
    assert [child.tag for child in valid] == ["system-out"]
    [error] = invalid.findall("error")
    assert invalid.get("classname") == "acme.billing.lookup"
    assert "tenant" in (error.get("message") or "")
    assert f"{SECOND}:6:9: tenant: " in (error.text or "")
    suites = {suite.get("file"): suite for suite in root.iter("testsuite")}
    assert suites[SECOND].get("errors") == "1"


def test_json_names_an_invalid_golden_with_its_problems(project: Path) -> None:
    """No database is needed to say a golden is invalid: -k selects nothing to run."""
    edit(project, SECOND, "tenant: example-tenant", "tenant: 5")
    completed = contracts(project, "replay", "--format", "json", "-k", "second")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    document = json.loads(completed.stdout)
    [invalid] = document["goldens"]
    assert (invalid["path"], invalid["line"], invalid["verdict"]) == (SECOND, 6, "invalid")
    assert invalid["name"] == "the second item"
    [problem] = invalid["problems"]
    assert (problem["line"], problem["column"], problem["field"]) == (6, 9, "tenant")
    assert document["counts"]["invalid"] == 1


def test_goldens_are_not_run_against_a_broken_runner_contract(
    project: Path, tmp_path: Path
) -> None:
    """Replay judges goldens by the runner contracts: with one broken, none is run (and
    so no database is needed), yet the report says so for every golden."""
    edit(project, RUNNER, "runner_id: acme.billing", "runner_id: acme.billing\ncolour: red")
    report = tmp_path / "report.xml"
    completed = contracts(project, "replay", "--junit-xml", str(report))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"{RUNNER}:5:1: colour: JF104" in completed.stdout
    assert completed.stdout.splitlines()[-1] == (
        "0 passed, 0 failed, 2 not run: fix the contract files above first"
    )
    xmlschema.XMLSchema10(str(XSD)).validate(str(report))
    root = ET.parse(report).getroot()
    assert (root.get("tests"), root.get("errors")) == ("3", "1")
    skipped = [
        case.get("name") for case in root.iter("testcase") if case.find("skipped") is not None
    ]
    assert sorted(skipped) == ["an active item is reported active", "the second item"]
    [broken] = [case for case in root.iter("testcase") if case.find("error") is not None]
    assert (broken.get("classname"), broken.get("name")) == ("contract files", RUNNER)


def test_check_passes_its_format_to_replay(
    project: Path, server_url: str, embedded_server_url: str
) -> None:
    break_expected_output(project)
    arguments = server(server_url, embedded_server_url)
    github = contracts(project, "check", "--format", "github", *arguments)
    assert github.returncode == 1, github.stdout + github.stderr
    assert f"::error file={GOLDEN},line={EXPECTED_OUTPUT_LINE},title=golden failed" in github.stdout
    as_json = contracts(project, "check", "--format", "json", *arguments)
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)
    replay = document["steps"][-1]
    assert (replay["name"], replay["status"]) == ("replay", "failed")
    assert replay["result"]["counts"]["failed"] == 1
    assert [g["verdict"] for g in replay["result"]["goldens"]] == ["failed", "passed"]
