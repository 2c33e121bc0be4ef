"""Every problem a project has, in one run: a check is skipped only when it reads a value
that is wrong, never because something else in the same file is.

The projects here are small and self-contained (a runner serving ``data.copy``), and no
handler module is configured, so JF204 (no handler) is left out of what is compared.
"""

from __future__ import annotations

from pathlib import Path

from jobforge.contracts.checks.validation import validate
from jobforge.contracts.config import load_config
from tests.unit.contracts.support import sample_connector, write_connector

RUNNER = """\
runner_id: small
runner_type: data
version: 0.1.0
description: The smallest runner contract.
job_types:
  data.copy:
    description: Copy a value.
    input_schema: {type: object, required: [zone], properties: {zone: {type: string}}}
    output_schema: {type: object, properties: {copied: {type: boolean}}}
methods: {execute: true, validate: true, health: true, trace: false}
determinism:
  {input_snapshot: false, decision_trace: false, output_artifact: false, replayable: false}
retry: {max_attempts: 1, backoff_base_seconds: 0.5, backoff_cap_seconds: 0.5}
timeout_seconds: 1
"""
GOLDEN = """\
name: copies
job_type: data.copy
tenant: t1
input: {zone: a}
expected_output: {copied: true}
"""


def _project(root: Path, *, runner: str = RUNNER, golden: str = GOLDEN) -> Path:
    (root / "pyproject.toml").write_text("[tool.jobforge]\nhandler_modules = []\n", "utf-8")
    runners = root / "contracts" / "runners"
    runners.mkdir(parents=True)
    (runners / "small.yaml").write_text(runner, encoding="utf-8")
    goldens = root / "goldens" / "small"
    goldens.mkdir(parents=True)
    (goldens / "copies.yaml").write_text(golden, encoding="utf-8")
    return root


def _lines(root: Path) -> list[str]:
    result = validate(load_config(root))
    return [
        f"{p.path}:{p.position.line}:{p.position.column}: {p.field_text}: {p.rule.title}: "
        f"{p.message}"
        for p in result.problems
        if p.rule.id != "JF204"
    ]


def test_the_small_project_is_clean(tmp_path: Path) -> None:
    assert _lines(_project(tmp_path)) == []


def test_a_golden_with_an_unknown_key_still_has_its_input_checked(tmp_path: Path) -> None:
    golden = GOLDEN.replace("input: {zone: a}", "input: ~\nexactt: true")
    assert _lines(_project(tmp_path, golden=golden)) == [
        "goldens/small/copies.yaml:4:8: input: JF206 golden-input-invalid: "
        "expected an object, got null",
        "goldens/small/copies.yaml:5:1: exactt: JF104 unknown-key: "
        'unknown key "exactt"; did you mean "exact"?',
    ]


def test_a_golden_input_names_json_values(tmp_path: Path) -> None:
    golden = GOLDEN.replace("input: {zone: a}", "input: {zone: true}").replace(
        "{copied: true}", "{copied: null}"
    )
    assert _lines(_project(tmp_path, golden=golden)) == [
        "goldens/small/copies.yaml:4:15: input.zone: JF206 golden-input-invalid: "
        "expected a string, got true",
        "goldens/small/copies.yaml:5:27: expected_output.copied: JF207 golden-output-invalid: "
        "expected a boolean, got null",
    ]


def test_a_missing_required_input_key_is_named_as_json(tmp_path: Path) -> None:
    golden = GOLDEN.replace("input: {zone: a}", "input: {}")
    assert _lines(_project(tmp_path, golden=golden)) == [
        "goldens/small/copies.yaml:4:8: input: JF206 golden-input-invalid: "
        'missing required key "zone"',
    ]


def test_a_runner_with_a_wrong_value_still_has_its_goldens_and_connectors_checked(
    tmp_path: Path,
) -> None:
    runner = RUNNER.replace("timeout_seconds: 1", 'timeout_seconds: "1"\nconnectors: [ghost.api]')
    golden = GOLDEN.replace("input: {zone: a}", "input: {zone: 3}")
    assert _lines(_project(tmp_path, runner=runner, golden=golden)) == [
        "contracts/runners/small.yaml:14:18: timeout_seconds: JF110 wrong-type: "
        'expected a number, got the string "1"',
        "contracts/runners/small.yaml:15:14: connectors[0]: JF210 unknown-connector: "
        'connector "ghost.api" has no connectors/ghost.api/metadata.json',
        "goldens/small/copies.yaml:4:15: input.zone: JF206 golden-input-invalid: "
        "expected a string, got the number 3",
    ]


def test_a_wrong_job_type_schema_skips_only_the_goldens_it_would_check(tmp_path: Path) -> None:
    runner = RUNNER.replace(
        "{type: object, properties: {copied", "{type: objekt, properties: {copied"
    )
    golden = GOLDEN.replace("input: {zone: a}", "input: {zone: 3}")
    lines = _lines(_project(tmp_path, runner=runner, golden=golden))
    assert [line.split(": ")[2] for line in lines] == [
        "JF116 invalid-json-schema",
        "JF206 golden-input-invalid",
    ]


def test_a_connector_with_a_wrong_value_still_has_its_place_and_job_types_checked(
    tmp_path: Path,
) -> None:
    _project(tmp_path)
    document = sample_connector(
        connector_id="other.name",
        supported_job_types=["data.copy", "nobody.serves.me"],
        breaking_changes={"1.0.0": {"message": "Renamed.", "upgrade_deadline": "2024-13-45"}},
    )
    write_connector(tmp_path, "my.api", document)
    lines = [line.split(": ", 2)[1:] for line in _lines(tmp_path)]
    assert lines == [
        [
            "connector_id",
            'JF202 connector-folder-mismatch: connector_id "other.name" differs from its '
            'folder "my.api"; rename one of them',
        ],
        [
            "supported_job_types[1]",
            'JF203 job-type-not-served: job type "nobody.serves.me" is served by no runner '
            "contract",
        ],
        [
            'breaking_changes["1.0.0"].upgrade_deadline',
            'JF112 invalid-value: "2024-13-45" is not a date such as "2027-01-31"',
        ],
    ]


def test_a_golden_with_an_unknown_job_type_leaves_its_runner_uncovered_unsaid(
    tmp_path: Path,
) -> None:
    golden = GOLDEN.replace("job_type: data.copy", "job_type: Data Copy")
    lines = _lines(_project(tmp_path, golden=golden))
    assert [line.split(": ")[2] for line in lines] == ["JF112 invalid-value"]


def test_a_golden_that_does_not_load_is_still_placed(tmp_path: Path) -> None:
    _project(tmp_path)
    orphan = tmp_path / "goldens" / "nobody" / "case.yaml"
    orphan.parent.mkdir()
    orphan.write_text("name: [unclosed\n", encoding="utf-8")
    lines = _lines(tmp_path)
    assert [line.split(": ")[2] for line in lines] == [
        "JF208 golden-unknown-job-type",
        "JF102 invalid-yaml",
    ]
    assert lines[0].endswith('no runner contract "nobody" (the golden\'s folder name)')


def test_a_runner_whose_job_types_lost_a_key_orphans_no_golden(tmp_path: Path) -> None:
    # A non-string key is left out of its mapping, so which job types the runner serves is
    # unknown: its goldens are not "unknown job types", and the rest is still checked.
    runner = RUNNER.replace("job_types:\n", "job_types:\n  1: {}\n")
    golden = GOLDEN.replace("job_type: data.copy", "job_type: data.other")
    lines = _lines(_project(tmp_path, runner=runner, golden=golden))
    assert [line.split(": ")[2] for line in lines] == ["JF115 unsupported-yaml-value"]
