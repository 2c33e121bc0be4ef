"""The AIAS connectors' metadata declares the failure modes docs/integrations/aias.md
explains, and the worker reads them as the page says: the page's tables and the metadata
files must change together."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobforge.connectors.policy import ConnectorPolicy, policies_from_metadata
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import ConnectorMetadata
from jobforge.runners.aias.names import MODEL_CONNECTOR_ID, REGISTRY_CONNECTOR_ID

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "integrations" / "aias.md"
ROW = re.compile(r"^\| `(?P<type>[a-z_]+)` \| (?P<retried>[^|]+) \| `(?P<fallback>[a-z_]+)` \|")


def policy(connector_id: str) -> ConnectorPolicy:
    path = ROOT / "connectors" / connector_id / "metadata.json"
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    return policies_from_metadata([ConnectorMetadata.model_validate(loaded.data)])[connector_id]


def documented(connector_id: str) -> dict[str, tuple[str, str]]:
    """The rows of the page's failure-mode table for ``connector_id``: type -> (retried,
    fallback)."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split(f"#### `{connector_id}`\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            rows[match["type"]] = (match["retried"].strip(), match["fallback"])
    return rows


@pytest.mark.parametrize("connector_id", [MODEL_CONNECTOR_ID, REGISTRY_CONNECTOR_ID])
def test_the_page_explains_every_declared_failure_mode_as_declared(connector_id: str) -> None:
    modes = policy(connector_id).failure_modes
    rows = documented(connector_id)
    assert sorted(rows) == sorted(modes)
    for failure_type, mode in modes.items():
        retried, fallback = rows[failure_type]
        assert fallback == mode.fallback_behavior, failure_type
        expected = "no" if mode.retries_allowed == 0 else f"{mode.retries_allowed} time"
        assert retried.startswith(expected), (failure_type, retried)
        if mode.retries_allowed:
            assert mode.retry_strategy.split("_")[0] in retried, (failure_type, retried)


def test_model_failures_take_the_fates_the_runner_is_built_around() -> None:
    """rate limits retry and queue; timeouts retry, then reach the handler (which falls
    back to another target); a rejected credential dead-letters; no breaker."""
    modes = policy(MODEL_CONNECTOR_ID).failure_modes
    rate = modes["rate_limit_exceeded"]
    assert (rate.retries_allowed > 0, rate.fallback_behavior) == (True, "queue")
    timeout = modes["timeout"]
    assert (timeout.retries_allowed > 0, timeout.fallback_behavior) == (True, "fail")
    assert modes["authentication_failed"].fallback_behavior == "dead_letter"
    assert not any(mode.circuit_breaker for mode in modes.values())
