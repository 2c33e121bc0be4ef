"""Rendering the registry: determinism, content, escaping, the runners using each connector."""

from __future__ import annotations

import json

import pytest

from jobforge.registry.render import (
    MARKER_LINE,
    RegistryError,
    markdown_code,
    markdown_text,
    render_registry,
)
from tests.unit.contracts.support import sample_connector
from tests.unit.registry.support import connector, registry_runner

CONNECTORS = [
    connector("zeta.api", version="2.1.0", status="stable", maturity="production"),
    connector("alpha.api", supported_job_types=["alpha.b", "alpha.a"]),
    connector("mid.api", capabilities={**sample_connector()["capabilities"], "batch": True}),
]


def test_rendering_twice_gives_the_same_bytes() -> None:
    assert render_registry(CONNECTORS) == render_registry(CONNECTORS)


def test_input_order_does_not_matter() -> None:
    assert render_registry(CONNECTORS) == render_registry(list(reversed(CONNECTORS)))


def test_one_page_per_connector_plus_index_and_json() -> None:
    files = render_registry(CONNECTORS)
    assert sorted(files) == [
        "alpha.api.md", "index.md", "mid.api.md", "registry.json", "zeta.api.md",
    ]  # fmt: skip
    for name, text in files.items():
        assert text.endswith("\n"), name
        assert not text.endswith("\n\n"), name
        assert "\r" not in text


def test_index_lists_connectors_sorted_with_a_capability_matrix() -> None:
    index = render_registry(CONNECTORS)["index.md"]
    assert index.startswith(MARKER_LINE + "\n")
    rows = [line for line in index.splitlines() if line.startswith("| [")]
    assert [row.split("]")[0] for row in rows] == [
        "| [alpha.api", "| [mid.api", "| [zeta.api",   # the connector table
        "| [alpha.api", "| [mid.api", "| [zeta.api",   # the capability matrix
    ]  # fmt: skip
    assert "| [zeta.api](zeta.api.md) | 2.1.0 | stable | production | `autopilot.ops.scan` |" in (
        index
    )
    assert "| [alpha.api](alpha.api.md) | 1.0.0 | beta | development | `alpha.a`, `alpha.b` |" in (
        index
    )
    header = "| Connector | bidirectional | streaming | batch | real_time | webhook | polling |"
    assert header in index
    assert "| [mid.api](mid.api.md) | no | no | yes | no | no | yes |" in index


def test_connector_page_shows_everything_a_user_needs() -> None:
    page = render_registry(CONNECTORS)["zeta.api.md"]
    for expected in (
        "# zeta.api",
        "| Version | 2.1.0 |",
        "- `autopilot.ops.scan`",
        "| yes | `bearer_token` | `env` |",
        "| 5 | 10 | minute | yes |",
        "| `rate_limit_exceeded` | yes | exponential_backoff | 3 | queue | yes |",
        "None recorded.",
    ):
        assert expected in page


def test_breaking_changes_are_listed_newest_first() -> None:
    recorded = connector(
        "b.api",
        version="3.0.0",
        breaking_changes={
            "2.0.0": {"message": "Old."},
            "10.0.0": {"message": "Newest.", "upgrade_deadline": "2027-01-31"},
            "3.0.0": {"message": "Middle.", "migration_documentation_url": "https://x.test/m"},
        },
    )
    page = render_registry([recorded])["b.api.md"]
    lines = [line for line in page.splitlines() if line.startswith("- **")]
    assert lines == [
        "- **10.0.0**: Newest. Upgrade by 2027-01-31.",
        "- **3.0.0**: Middle. [Migration guide](<https://x.test/m>)",
        "- **2.0.0**: Old.",
    ]


def test_registry_json_is_sorted_and_complete() -> None:
    document = json.loads(render_registry(CONNECTORS)["registry.json"])
    assert document["registry_format"] == 1
    assert [c["connector_id"] for c in document["connectors"]] == [
        "alpha.api", "mid.api", "zeta.api",
    ]  # fmt: skip
    first = document["connectors"][0]
    assert first["page"] == "alpha.api.md"
    assert "$schema" not in first
    assert first["rate_limits"]["burst_size"] == 10


def test_free_text_cannot_break_a_table_or_inject_html() -> None:
    hostile = connector("x.api", description="a | b <script>alert(1)</script> & c\nd")
    page = render_registry([hostile])["x.api.md"]
    assert "a \\| b &lt;script&gt;alert(1)&lt;/script&gt; &amp; c d" in page
    assert "<script>" not in page


def test_markdown_filters() -> None:
    assert markdown_text("a\\b|c") == "a\\\\b\\|c"
    assert markdown_code("a.b") == "`a.b`"
    assert markdown_code("a`b") == "`` a`b ``"


def test_a_connector_named_index_is_refused() -> None:
    with pytest.raises(RegistryError, match="rename the connector"):
        render_registry([connector("index")])


@pytest.mark.parametrize(("written", "shown"), [(10, "10"), (2.5, "2.5"), (10.0, "10.0")])
def test_numbers_are_written_as_the_metadata_writes_them(written: float, shown: str) -> None:
    rate_limits = {**sample_connector()["rate_limits"], "requests_per_second": written}
    files = render_registry([connector("n.api", rate_limits=rate_limits)])
    assert f'"requests_per_second": {shown},\n' in files["registry.json"]
    assert f"| {shown} | 10 | minute | yes |" in files["n.api.md"]


# ------------------------------------------------------------ the runners using a connector

LEDGER = connector("ledger.store", supported_job_types=["bill.issue", "bill.void", "bill.audit"])
SPARE = connector("spare.feed", supported_job_types=["spare.read"])
BILLING = registry_runner(
    "acme.billing",
    ["bill.void", "bill.issue", "bill.refund"],
    ["ledger.store", "ghost.api"],  # ghost.api has no metadata: JF210, validate's business
    version="2.3.1",
    page_link="../integrations/billing.md",
)
AUDIT = registry_runner("acme.audit", ["audit.trail"], ["ledger.store"])


def test_a_connector_no_runner_lists_says_so() -> None:
    files = render_registry([LEDGER, SPARE], [BILLING, AUDIT])
    assert (
        "## Used by\n\nNo runner contract lists this connector under `connectors:`.\n"
        in (files["spare.feed.md"])
    )
    assert (
        "| [spare.feed](spare.feed.md) | 1.0.0 | beta | development | `spare.read` | none |"
        in (files["index.md"])
    )
    document = json.loads(files["registry.json"])
    assert [c["used_by"] for c in document["connectors"] if c["connector_id"] == "spare.feed"] == [
        []
    ]


def test_without_runner_contracts_every_connector_is_unused() -> None:
    files = render_registry([LEDGER])
    assert "No runner contract lists this connector" in files["ledger.store.md"]
    assert json.loads(files["registry.json"])["connectors"][0]["used_by"] == []


def test_each_runner_listing_a_connector_is_shown_with_the_job_types_both_serve() -> None:
    page = render_registry([LEDGER, SPARE], [BILLING, AUDIT])["ledger.store.md"]
    section = page.split("## Used by\n\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        "| Runner | Version | Job types | Contract |",
        "| --- | --- | --- | --- |",
        "| `acme.audit` | 1.0.0 | none of its job types "
        "| [acme.audit.yaml](../../contracts/runners/acme.audit.yaml) |",
        "| [acme.billing](../integrations/billing.md) | 2.3.1 | `bill.issue`, `bill.void` "
        "| [acme.billing.yaml](../../contracts/runners/acme.billing.yaml) |",
    ]


def test_the_index_names_the_runners_of_each_connector() -> None:
    index = render_registry([LEDGER, SPARE], [BILLING, AUDIT])["index.md"]
    assert "| Connector | Version | Status | Maturity | Job types | Used by |" in index
    assert (
        "| `bill.audit`, `bill.issue`, `bill.void` | `acme.audit`, "
        "[acme.billing](../integrations/billing.md) |"
    ) in index


def test_registry_json_records_who_uses_each_connector() -> None:
    document = json.loads(render_registry([LEDGER, SPARE], [BILLING, AUDIT])["registry.json"])
    ledger = next(c for c in document["connectors"] if c["connector_id"] == "ledger.store")
    assert ledger["used_by"] == [
        {"runner_id": "acme.audit", "version": "1.0.0", "job_types": []},
        {"runner_id": "acme.billing", "version": "2.3.1", "job_types": ["bill.issue", "bill.void"]},
    ]


def test_a_connector_a_runner_lists_without_metadata_gets_no_page() -> None:
    files = render_registry([LEDGER], [BILLING])
    assert "ghost.api.md" not in files
    assert "ghost.api" not in "".join(files.values())


def test_runner_order_does_not_matter() -> None:
    assert render_registry([LEDGER, SPARE], [BILLING, AUDIT]) == render_registry(
        [SPARE, LEDGER], [AUDIT, BILLING]
    )


def test_a_link_with_spaces_still_links() -> None:
    spaced = registry_runner(
        "acme.audit", ["bill.issue"], ["ledger.store"], page_link="../my docs/a.md"
    )
    page = render_registry([LEDGER], [spaced])["ledger.store.md"]
    assert "| [acme.audit](../my%20docs/a.md) | 1.0.0 | `bill.issue` |" in page
