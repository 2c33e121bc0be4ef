"""Editing the sample runner and connector of a scratch project, as a developer would,
and taking the snapshot `lock` would record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.contracts.drift.lockfile import LockedContract, LockKey, lock_contracts
from jobforge.contracts.loading.loader import load_file

RUNNER_ID = "autopilot.ops.scan"
CONNECTOR_ID = "readylayer.cdn"
Document = dict[str, Any]


def runner_path(root: Path) -> Path:
    return root / "contracts" / "runners" / f"{RUNNER_ID}.yaml"


def connector_path(root: Path) -> Path:
    return root / "connectors" / CONNECTOR_ID / "metadata.json"


def edit(path: Path, change: Callable[[Document], None]) -> None:
    """Load ``path``, apply ``change``, and write it back (YAML files as JSON, which is YAML)."""
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    document: Document = loaded.data
    change(document)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def edit_runner(root: Path, change: Callable[[Document], None]) -> None:
    edit(runner_path(root), change)


def edit_connector(root: Path, change: Callable[[Document], None]) -> None:
    edit(connector_path(root), change)


def input_schema(document: Document) -> Document:
    schema: Document = document["job_types"][RUNNER_ID]["input_schema"]
    return schema


def output_schema(document: Document) -> Document:
    schema: Document = document["job_types"][RUNNER_ID]["output_schema"]
    return schema


def set_version(version: str, *, record: str | None = None) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        document["version"] = version
        if record is not None:
            document.setdefault("breaking_changes", {})[version] = {"message": record}

    return change


def snapshot(root: Path) -> dict[LockKey, LockedContract]:
    """The project's contracts as ``lock`` would record them (they must be valid)."""
    contracts = load_contract_set(load_config(root))
    assert contracts.ok, contracts.problems
    return lock_contracts(contracts.runner_models(), contracts.connector_models())
