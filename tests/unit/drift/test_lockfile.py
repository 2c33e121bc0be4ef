"""The lock file: what it records, that it is deterministic, and that edits are caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.contracts.drift.lockfile import (
    ContractKind,
    LockFileError,
    canonical_json,
    entry_positions,
    lock_contracts,
    parse_lock,
    read_lock,
    render_lock,
    write_lock,
)
from tests.unit.drift.edits import CONNECTOR_ID, RUNNER_ID, edit_connector, edit_runner


def lock_text(root: Path) -> str:
    contracts = load_contract_set(load_config(root))
    assert contracts.ok, contracts.problems
    return render_lock(lock_contracts(contracts.runner_models(), contracts.connector_models()))


def test_lock_records_version_fingerprint_and_surface(project: Path) -> None:
    document = json.loads(lock_text(project))
    assert document["lock_format"] == 1
    runner = document["runners"][RUNNER_ID]
    assert runner["version"] == "1.0.0"
    assert runner["fingerprint"].startswith("sha256:")
    assert set(runner["contract"]["job_types"][RUNNER_ID]) == {"input_schema", "output_schema"}
    connector = document["connectors"][CONNECTOR_ID]
    assert set(connector["contract"]) == {"capabilities", "supported_job_types"}


def test_lock_text_is_deterministic_sorted_and_ends_with_a_newline(project: Path) -> None:
    text = lock_text(project)
    assert text == lock_text(project)
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_key_order_in_the_files_does_not_change_the_lock(project: Path) -> None:
    before = lock_text(project)
    edit_runner(project, lambda doc: doc.update(dict(reversed(list(doc.items())))))
    edit_connector(project, lambda doc: doc["capabilities"].update(
        dict(reversed(list(doc["capabilities"].items())))
    ))  # fmt: skip
    assert lock_text(project) == before


def test_descriptions_are_not_part_of_the_fingerprint(project: Path) -> None:
    before = lock_text(project)
    edit_runner(project, lambda doc: doc.update(description="Reworded."))
    edit_connector(project, lambda doc: doc.update(description="Reworded."))
    assert lock_text(project) == before


def test_a_schema_change_changes_the_fingerprint(project: Path) -> None:
    before = json.loads(lock_text(project))
    edit_runner(
        project,
        lambda doc: doc["job_types"][RUNNER_ID]["input_schema"]["properties"].update(
            verbose={"type": "boolean"}
        ),
    )
    after = json.loads(lock_text(project))
    assert after["runners"][RUNNER_ID]["fingerprint"] != before["runners"][RUNNER_ID]["fingerprint"]
    assert after["connectors"] == before["connectors"]


def test_parse_round_trips(project: Path) -> None:
    text = lock_text(project)
    assert render_lock(parse_lock(text, "contracts.lock")) == text


def test_a_hand_edited_contract_is_refused(project: Path) -> None:
    document = json.loads(lock_text(project))
    document["runners"][RUNNER_ID]["contract"]["job_types"] = {}
    with pytest.raises(LockFileError, match=r"edited by hand"):
        parse_lock(json.dumps(document), "contracts.lock")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"contracts.lock:1:2: not valid JSON"),
        ("[]", r"lock_format 1"),
        ('{"lock_format": 1, "runners": []}', r"runners must be an object"),
        ('{"lock_format": 1, "runners": {"a": {"version": "1"}}}', r"expected the keys"),
        (
            '{"lock_format": 1, "runners": {"a": {"version": "x", "fingerprint": "", '
            '"contract": {}}}}',
            r"'x' is not a semantic version",
        ),
    ],
)
def test_malformed_locks_say_what_to_do(text: str, message: str) -> None:
    with pytest.raises(LockFileError, match=message):
        parse_lock(text, "contracts.lock")


def test_read_lock_without_a_file_is_none(tmp_path: Path) -> None:
    assert read_lock(tmp_path / "contracts.lock", "contracts.lock") is None


def test_write_lock_reports_whether_it_changed_anything(tmp_path: Path) -> None:
    path = tmp_path / "contracts" / "contracts.lock"
    assert write_lock(path, "{}\n") is True
    assert write_lock(path, "{}\n") is False
    assert path.read_bytes() == b"{}\n"
    assert [p.name for p in path.parent.iterdir()] == ["contracts.lock"]


def test_canonical_json_is_the_shared_encoding() -> None:
    assert canonical_json({"b": [1, 2.5], "a": "é"}) == '{"a":"é","b":[1,2.5]}'.encode()
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json(float("nan"))


def test_entry_order_never_changes_the_lock_text(project: Path) -> None:
    contracts = load_contract_set(load_config(project))
    entries = lock_contracts(contracts.runner_models(), contracts.connector_models())
    assert render_lock(dict(reversed(list(entries.items())))) == render_lock(entries)


def test_entry_positions_point_at_the_id_of_each_entry(project: Path) -> None:
    text = lock_text(project)
    lines = text.splitlines()
    positions = entry_positions(text)
    assert set(positions) == {
        (ContractKind.RUNNER, RUNNER_ID),
        (ContractKind.CONNECTOR, CONNECTOR_ID),
    }
    for (_, contract_id), position in positions.items():
        assert lines[position.line - 1][position.column - 1 :].startswith(f'"{contract_id}": {{')
