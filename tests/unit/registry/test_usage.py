"""Which runners use a connector, and where the registry links each runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.registry.usage import (
    connector_uses,
    integration_page,
    integration_pages,
    registry_runners,
)
from tests.unit.contracts.support import make_project
from tests.unit.registry.support import (
    connector,
    registry_runner,
    runner_document,
    write_page,
    write_runner,
)

PAGES = frozenset({"ops", "keys", "readylayer", "index"})


@pytest.mark.parametrize(
    ("runner_id", "page"),
    [
        ("autopilot.ops.scan", "ops"),  # no autopilot.md: the next segment names the page
        ("jobforge.keys", "keys"),
        ("readylayer.edge", "readylayer"),
        ("ops.keys", "ops"),  # the first segment with a page wins
        ("settler.contracts", None),
        ("acme.index", None),  # the integrations index is nobody's page
    ],
)
def test_the_integration_page_is_the_first_segment_naming_one(
    runner_id: str, page: str | None
) -> None:
    assert integration_page(runner_id, PAGES) == page


def test_integration_pages_are_the_markdown_files_of_the_folder(tmp_path: Path) -> None:
    assert integration_pages(tmp_path / "absent") == frozenset()
    write_page(tmp_path, "ops")
    write_page(tmp_path, "index")
    (tmp_path / "docs" / "integrations" / "notes.txt").write_text("x\n", encoding="utf-8")
    (tmp_path / "docs" / "integrations" / "drafts.md").mkdir()
    assert integration_pages(tmp_path / "docs" / "integrations") == {"ops", "index"}


def test_runners_link_their_page_and_contract_relative_to_the_registry(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    write_runner(root, runner_document("acme.billing", ["bill.issue"], ["readylayer.cdn"]))
    write_page(root, "ops")
    contracts = load_contract_set(load_config(root))
    assert contracts.ok, contracts.problems
    runners = registry_runners(
        contracts.runners.values(), root=root, folder=root / "docs" / "connectors"
    )
    assert [(r.runner_id, r.page_link, r.contract_link) for r in runners] == [
        ("acme.billing", None, "../../contracts/runners/acme.billing.yaml"),
        (
            "autopilot.ops.scan",
            "../integrations/ops.md",
            "../../contracts/runners/autopilot.ops.scan.yaml",
        ),
    ]
    assert runners[1].job_types == {"autopilot.ops.scan"}
    assert runners[1].connectors == {"readylayer.cdn"}
    elsewhere = registry_runners(
        contracts.runners.values(), root=root, folder=root / "site" / "registry" / "v1"
    )
    assert elsewhere[1].page_link == "../../../docs/integrations/ops.md"


def test_connector_uses_are_sorted_and_share_job_types() -> None:
    store = connector("ledger.store", supported_job_types=["a.one", "a.two"])
    runners = [
        registry_runner("z.run", ["a.two", "b.one"], ["ledger.store"]),
        registry_runner("m.run", ["a.one"], ["other.api"]),
        registry_runner("a.run", ["b.one"], ["ledger.store"]),
    ]
    uses = connector_uses(store, runners)
    assert [(use.runner.runner_id, use.job_types) for use in uses] == [
        ("a.run", ()),
        ("z.run", ("a.two",)),
    ]
