"""Properties of the inventory scans over generated inventories, through the worker's
``JobRunner`` with the contract enforced:

* the output does not depend on the order the inventory lists its resources in, nor on
  how it is split into pages (nor, for drift, on the order of the declarations);
* the summary's counts are the findings' counts, its verdict follows ``fail_on``, and the
  total savings are the sum of the findings' savings;
* findings come most severe first, then by resource, rule and message.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobforge.runners.ops.cost import SIZE_LADDER
from jobforge.runners.ops.findings import SEVERITIES, SEVERITY_RANK
from jobforge.runners.ops.inventory_scans import (
    COST_JOB_TYPE,
    DRIFT_JOB_TYPE,
    SECURITY_JOB_TYPE,
)
from jobforge.worker.execution import Succeeded
from tests.unit.runners.test_ops_scan import run_job

NOW = datetime(2024, 6, 1, tzinfo=UTC)
IDS = [f"r{index:02d}" for index in range(10)]
TYPES = [
    "compute.instance",
    "database.instance",
    "storage.bucket",
    "storage.volume",
    "network.ip_address",
    "network.load_balancer",
]
REGIONS = ["eu-west-1", "us-east-1"]
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

timestamps = st.integers(min_value=-400 * 86_400, max_value=86_400).map(
    lambda seconds: (NOW + timedelta(seconds=seconds)).isoformat()
)
money = st.one_of(
    st.integers(min_value=0, max_value=5_000),
    st.decimals(min_value=0, max_value=5_000, places=2).map(float),
)
resource_fields: dict[str, st.SearchStrategy[Any]] = {
    "region": st.sampled_from(REGIONS),
    "size": st.sampled_from([*SIZE_LADDER, "n2-custom-4"]),
    "monthly_cost": st.none() | money,
    "cpu_p95_percent": st.floats(min_value=0, max_value=100),
    "last_used": st.none() | timestamps,
    "attached_to": st.none() | st.just("r00"),
    "tags": st.dictionaries(
        st.sampled_from(["owner", "cost-center", "env"]), st.sampled_from(["", "a", "b"])
    ),
    "public": st.none() | st.booleans(),
    "encrypted": st.none() | st.booleans(),
    "open_ports": st.lists(st.sampled_from([22, 23, 80, 443, 3389, 8080]), max_size=4),
    "tls_min_version": st.sampled_from(["1.0", "1.1", "1.2", "1.3", "TLSv1.2", "SSLv3", "odd"]),
}
resources = st.fixed_dictionaries(
    {"id": st.sampled_from(IDS), "type": st.sampled_from(TYPES)},
    optional=resource_fields,
)
inventories = st.lists(resources, max_size=len(IDS), unique_by=lambda r: r["id"])
declarations = st.lists(
    st.fixed_dictionaries(
        {"id": st.sampled_from(IDS)},
        optional={
            "type": st.sampled_from(TYPES),
            "region": st.sampled_from(REGIONS),
            "size": st.sampled_from(SIZE_LADDER[:4]),
            "public": st.booleans(),
            "encrypted": st.booleans(),
            "open_ports": st.lists(st.sampled_from([22, 443]), max_size=2),
            "tags": st.dictionaries(st.sampled_from(["owner", "env"]), st.sampled_from(["a", "b"])),
        },
    ),
    max_size=8,
)
scan_settings = st.fixed_dictionaries(
    {"account": st.just("acct")},
    optional={
        "fail_on": st.sampled_from(SEVERITIES),
        "regions": st.lists(st.sampled_from(REGIONS), max_size=1, unique=True),
        "ignore_resources": st.lists(st.sampled_from(IDS), max_size=2, unique=True),
    },
)


def paged(listed: list[dict[str, Any]], cuts: list[int]) -> list[dict[str, Any]]:
    """Recorded ``list_resources`` responses serving ``listed`` split at ``cuts``."""
    bounds = [0, *sorted(set(cuts)), len(listed)]
    pages = [listed[start:end] for start, end in itertools.pairwise(bounds)]
    recordings = []
    for number, page in enumerate(pages):
        request: dict[str, Any] = {"account": "acct"}
        if number:
            request["page_token"] = f"page-{number}"
        response: dict[str, Any] = {"resources": page}
        if number + 1 < len(pages):
            response["next_page_token"] = f"page-{number + 1}"
        recordings.append(
            {
                "connector_id": "autopilot.inventory",
                "operation": "list_resources",
                "request": request,
                "response": response,
            }
        )
    return recordings


def scan_output(job_type: str, payload: dict[str, Any], recordings: list[Any]) -> dict[str, Any]:
    outcome = run_job(job_type, payload, recordings, NOW)
    assert isinstance(outcome, Succeeded), getattr(outcome, "error", None)
    output: dict[str, Any] = json.loads(outcome.output_json)
    return output


def payloads(settings_: dict[str, Any], declared: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [
        (COST_JOB_TYPE, settings_),
        (SECURITY_JOB_TYPE, settings_),
        (DRIFT_JOB_TYPE, {**settings_, "expected": declared}),
    ]


@PROPERTY_SETTINGS
@given(
    inventory=inventories,
    declared=declarations,
    settings_=scan_settings,
    data=st.data(),
)
def test_findings_do_not_depend_on_the_inventory_order_or_its_pages(
    inventory: list[dict[str, Any]],
    declared: list[dict[str, Any]],
    settings_: dict[str, Any],
    data: st.DataObject,
) -> None:
    shuffled = data.draw(st.permutations(inventory), label="shuffled inventory")
    cuts = data.draw(st.lists(st.integers(0, len(inventory)), max_size=3), label="page cuts")
    redeclared = data.draw(st.permutations(declared), label="shuffled declarations")
    for (job_type, payload), (_, shuffled_payload) in zip(
        payloads(settings_, declared), payloads(settings_, redeclared), strict=True
    ):
        listed_once = scan_output(job_type, payload, paged(inventory, []))
        listed_again = scan_output(job_type, shuffled_payload, paged(shuffled, cuts))
        assert listed_again == listed_once, job_type


@PROPERTY_SETTINGS
@given(inventory=inventories, declared=declarations, settings_=scan_settings)
def test_the_summary_counts_the_findings(
    inventory: list[dict[str, Any]], declared: list[dict[str, Any]], settings_: dict[str, Any]
) -> None:
    for job_type, payload in payloads(settings_, declared):
        output = scan_output(job_type, payload, paged(inventory, []))
        findings, summary = output["findings"], output["summary"]
        severities = Counter(finding["severity"] for finding in findings)
        assert summary["findings"] == len(findings)
        assert summary["by_severity"] == {s: severities[s] for s in SEVERITIES}
        assert summary["by_rule"] == dict(Counter(f["rule_id"] for f in findings))
        threshold = SEVERITY_RANK[summary["fail_on"]]
        failing = [f for f in findings if SEVERITY_RANK[f["severity"]] <= threshold]
        assert summary["failing_findings"] == len(failing)
        assert summary["passed"] is (not failing)
        keys = [
            (SEVERITY_RANK[f["severity"]], f["resource_id"], f["rule_id"], f["message"])
            for f in findings
        ]
        assert keys == sorted(keys)
        if job_type == COST_JOB_TYPE:
            total = sum(Decimal(str(f["estimated_monthly_savings"])) for f in findings)
            assert Decimal(str(summary["estimated_monthly_savings"])) == total
            assert summary["resources_scanned"] + summary["resources_excluded"] == len(inventory)
