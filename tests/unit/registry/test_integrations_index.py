"""docs/integrations/index.md stays true to the repository, read when the test runs.

Every runner contract under contracts/runners/ has one row, with its job types and
connectors; every page in docs/integrations/ is linked; every relative link resolves; and
each row links the page the registry links that runner to (``usage.integration_page``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.contracts.models.contract_files import RunnerConfig
from jobforge.registry.usage import INTEGRATIONS_INDEX, integration_page, integration_pages
from tests.unit.contracts.support import REPO_ROOT

INTEGRATIONS = REPO_ROOT / "docs" / "integrations"
INDEX = INTEGRATIONS / f"{INTEGRATIONS_INDEX}.md"
HEADER = "| Domain | Runner | Job types | Connectors | Page | Example |"
CODE_SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@dataclass(frozen=True, slots=True)
class Row:
    runner_id: str
    job_types: list[str]
    connectors: list[str]
    page: str


def index_rows(text: str) -> list[Row]:
    lines = text.splitlines()
    start = lines.index(HEADER) + 2  # the header and its --- line
    rows = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        assert len(cells) == 6, line
        _, runner, job_types, connectors, page, _ = cells
        (runner_id,) = CODE_SPAN.findall(runner)
        (page_link,) = LINK.findall(page)
        rows.append(
            Row(runner_id, CODE_SPAN.findall(job_types), CODE_SPAN.findall(connectors), page_link)
        )
    return rows


def shipped_runners() -> dict[str, RunnerConfig]:
    contracts = load_contract_set(load_config(REPO_ROOT))
    assert not contracts.problems, [problem.message for problem in contracts.problems]
    return {runner.runner_id: runner for runner in contracts.runner_models()}


def test_every_runner_contract_has_one_row_true_to_its_contract() -> None:
    rows = index_rows(INDEX.read_text(encoding="utf-8"))
    runners = shipped_runners()
    assert sorted(row.runner_id for row in rows) == sorted(runners)
    for row in rows:
        runner = runners[row.runner_id]
        assert sorted(row.job_types) == sorted(runner.job_types), row.runner_id
        assert sorted(row.connectors) == sorted(runner.connectors), row.runner_id


def test_every_link_resolves_and_every_page_is_linked() -> None:
    text = INDEX.read_text(encoding="utf-8")
    targets = [link for link in LINK.findall(text) if "://" not in link]
    missing = [link for link in targets if not (INTEGRATIONS / link).is_file()]
    assert missing == []
    linked = {(INTEGRATIONS / link).resolve() for link in targets}
    unlinked = sorted(
        f"{page}.md"
        for page in integration_pages(INTEGRATIONS)
        if page != INTEGRATIONS_INDEX and (INTEGRATIONS / f"{page}.md").resolve() not in linked
    )
    assert unlinked == []


def test_each_row_links_the_page_the_registry_links_its_runner_to() -> None:
    rows = index_rows(INDEX.read_text(encoding="utf-8"))
    pages = {row.page.removesuffix(".md") for row in rows}
    for row in rows:
        assert integration_page(row.runner_id, pages) == row.page.removesuffix(".md")
