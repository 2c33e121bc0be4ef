"""The registry of a small fixed project, byte for byte: ``golden/`` holds what it renders.

The project covers each case of the "Used by" section: a connector two runners list, one
with and one without an integration page; a runner sharing no job type with a connector it
lists; a runner listing a connector with no metadata (JF210: never a page here); a connector
no runner lists. It is loaded with the same contract set loader the command uses.

After an intended change to the generator, rewrite the goldens and review their diff:
``.venv/bin/python -m tests.unit.registry.test_golden_registry``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.registry.render import render_registry
from jobforge.registry.usage import registry_runners
from tests.unit.contracts.support import make_project, sample_connector, write_connector
from tests.unit.registry.support import runner_document, write_page, write_runner

GOLDEN = Path(__file__).parent / "golden"


def build_project(root: Path) -> Path:
    make_project(root)  # autopilot.ops.scan, listing readylayer.cdn
    ledger_types = ["billing.invoice.issue", "billing.invoice.void", "billing.ledger.audit"]
    write_connector(
        root,
        "ledger.store",
        sample_connector(
            connector_id="ledger.store",
            description="Invoices and ledger entries.",
            supported_job_types=ledger_types,
            http={
                "base_url": "https://ledger.example.com/api",
                "operations": {
                    "post_entry": {"method": "POST", "path": "/ledgers/{ledger}/entries"},
                    "get_invoice": {"method": "GET", "path": "/invoices/{invoice_id}"},
                },
            },
        ),
    )
    write_connector(
        root,
        "spare.feed",
        sample_connector(connector_id="spare.feed", supported_job_types=["spare.feed.read"]),
    )
    billing_types = ["billing.invoice.void", "billing.invoice.issue", "billing.refund.issue"]
    billing = runner_document(
        "acme.billing", billing_types, ["ledger.store", "readylayer.cdn", "ghost.api"]
    )
    write_runner(root, {**billing, "version": "2.1.0"})
    write_runner(root, runner_document("acme.audit", ["billing.ledger.audit"], ["ledger.store"]))
    for page in ("ops", "billing", "index"):
        write_page(root, page)
    return root


def render_project(root: Path) -> dict[str, str]:
    contracts = load_contract_set(load_config(root))
    assert contracts.ok, contracts.problems
    folder = root / "docs" / "connectors"
    runners = registry_runners(contracts.runners.values(), root=root, folder=folder)
    return render_registry(contracts.connector_models(), runners)


def test_the_registry_of_the_fixed_project_matches_the_goldens(tmp_path: Path) -> None:
    rendered = render_project(build_project(tmp_path / "project"))
    assert sorted(rendered) == sorted(path.name for path in GOLDEN.iterdir())
    for name, text in rendered.items():
        assert text.encode("utf-8") == (GOLDEN / name).read_bytes(), name


def _rewrite_goldens() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        rendered = render_project(build_project(Path(scratch) / "project"))
    GOLDEN.mkdir(exist_ok=True)
    for stale in GOLDEN.iterdir():
        stale.unlink()
    for name, text in rendered.items():
        (GOLDEN / name).write_bytes(text.encode("utf-8"))


if __name__ == "__main__":
    _rewrite_goldens()
