"""Runner contracts and registry runners for the registry tests, built from the frozen samples."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import ConnectorMetadata
from jobforge.registry.usage import RegistryRunner
from tests.unit.contracts.support import SAMPLE_RUNNER, sample_connector


def connector(connector_id: str, **changes: Any) -> ConnectorMetadata:
    return ConnectorMetadata.model_validate(sample_connector(connector_id=connector_id, **changes))


def registry_runner(
    runner_id: str,
    job_types: Iterable[str],
    connectors: Iterable[str],
    *,
    version: str = "1.0.0",
    page_link: str | None = None,
) -> RegistryRunner:
    return RegistryRunner(
        runner_id=runner_id,
        version=version,
        job_types=frozenset(job_types),
        connectors=frozenset(connectors),
        contract_link=f"../../contracts/runners/{runner_id}.yaml",
        page_link=page_link,
    )


def runner_document(
    runner_id: str, job_types: Iterable[str], connectors: Iterable[str], *, version: str = "1.0.0"
) -> dict[str, Any]:
    """The sample runner contract renamed, serving ``job_types`` (all shaped like its own)."""
    loaded = load_file(SAMPLE_RUNNER, SAMPLE_RUNNER.name)
    assert loaded.ok, loaded.problems
    document: dict[str, Any] = loaded.data
    job_type_contract = next(iter(document["job_types"].values()))
    document.update(
        runner_id=runner_id,
        version=version,
        job_types=dict.fromkeys(job_types, job_type_contract),
        connectors=list(connectors),
    )
    return document


def write_runner(root: Path, document: dict[str, Any]) -> Path:
    """``document`` as ``contracts/runners/<runner_id>.yaml`` (JSON, which is YAML)."""
    path = root / "contracts" / "runners" / f"{document['runner_id']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def write_page(root: Path, name: str) -> Path:
    """An integration page ``docs/integrations/<name>.md``."""
    path = root / "docs" / "integrations" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {name}\n", encoding="utf-8")
    return path
