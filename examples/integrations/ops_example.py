"""The ops inventory scans end to end: cost, security and drift, then replay the records.

Run it from the repository root with ``python examples/integrations/ops_example.py``
(``--database-url URL`` uses a PostgreSQL server of your own instead of the embedded one).
It starts an embedded PostgreSQL, migrates it, registers an in-process
``autopilot.inventory`` transport that serves a canned inventory in pages (no network),
enqueues an ``autopilot.ops.cost_scan``, a ``security_scan`` and a ``drift_scan`` job,
runs a real worker in burst mode with the runner contract and the connector's metadata
enforced, prints each scan's findings and summary, then replays each recorded job and
says whether it reproduced. Exit status 0 means every job succeeded and every replay
reproduced (the scans themselves may fail their ``fail_on`` threshold: that is a finding,
not an error).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from example_support import drain_report_and_replay, load_model

from jobforge.client import JobForgeClient
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.db.throwaway import throwaway_database
from jobforge.runners.ops import inventory_scans
from jobforge.worker.job_types import contracts_by_job_type

ROOT = Path(__file__).resolve().parents[2]
RUNNER_CONTRACT = ROOT / "contracts" / "runners" / "autopilot.ops.scan.yaml"
CONNECTOR_METADATA = ROOT / "connectors" / "autopilot.inventory" / "metadata.json"
CONNECTOR_ID = "autopilot.inventory"
ACCOUNT = "acme-prod"
PAGE_SIZE = 4
SEVERITIES = ("critical", "high", "medium", "low", "info")

PAYLOADS: dict[str, dict[str, Any]] = {
    inventory_scans.COST_JOB_TYPE: {"account": ACCOUNT, "fail_on": "medium"},
    inventory_scans.SECURITY_JOB_TYPE: {"account": ACCOUNT, "allowed_public": ["bucket-site"]},
    inventory_scans.DRIFT_JOB_TYPE: {
        "account": ACCOUNT,
        "expected": [
            {"id": "vm-api-1", "type": "compute.instance", "size": "large", "public": False},
            {"id": "db-main", "type": "database.instance", "encrypted": True},
            {"id": "bucket-site", "type": "storage.bucket", "tags": {"owner": "web"}},
            {"id": "vol-backups", "type": "storage.volume"},
        ],
        "ignore_resources": ["ip-spare", "vol-orphan-7", "vm-batch-old"],
    },
}


class CannedInventory:
    """The ``autopilot.inventory`` transport for this example: one account's resources,
    served ``PAGE_SIZE`` at a time with page tokens, as a real inventory API pages."""

    def __init__(self, now: datetime) -> None:
        def ago(days: float) -> str:
            return (now - timedelta(days=days)).isoformat()

        tags = {"owner": "api", "cost-center": "cc-12"}
        self._resources: list[dict[str, Any]] = [
            {"id": "vm-api-1", "type": "compute.instance", "region": "eu-west-1",
             "size": "2xlarge", "monthly_cost": 560, "cpu_p95_percent": 8,
             "last_used": ago(0.05), "public": False, "open_ports": [443], "tags": tags},
            {"id": "vm-batch-old", "type": "compute.instance", "region": "eu-west-1",
             "size": "large", "monthly_cost": 140.16, "cpu_p95_percent": 1.5,
             "last_used": ago(90.5), "public": False, "tags": {"owner": "data"}},
            {"id": "vol-orphan-7", "type": "storage.volume", "region": "eu-west-1",
             "monthly_cost": 12.5, "attached_to": None, "encrypted": True, "tags": tags},
            {"id": "db-main", "type": "database.instance", "region": "eu-west-1",
             "size": "xlarge", "monthly_cost": 1460, "cpu_p95_percent": 55,
             "last_used": ago(0.01), "public": False, "encrypted": False, "tags": tags},
            {"id": "bucket-site", "type": "storage.bucket", "region": "eu-west-1",
             "monthly_cost": 4, "public": True, "encrypted": True,
             "tags": {"owner": "marketing", "cost-center": "cc-40"}},
            {"id": "vm-bastion", "type": "compute.instance", "region": "eu-west-1",
             "size": "micro", "monthly_cost": 7.5, "cpu_p95_percent": 30,
             "last_used": ago(0.2), "public": True, "open_ports": [22], "tags": tags},
            {"id": "lb-web", "type": "network.load_balancer", "region": "eu-west-1",
             "monthly_cost": 18, "public": True, "tls_min_version": "1.0", "tags": tags},
            {"id": "ip-spare", "type": "network.ip_address", "region": "us-east-1",
             "monthly_cost": 3.6, "attached_to": None},
        ]  # fmt: skip

    def __call__(self, operation: str, request: Any) -> Any:
        if operation != "list_resources":
            raise ValueError(f"the canned inventory does not serve {operation!r}")
        if request.get("account") != ACCOUNT:
            return {"resources": []}
        start = int(request.get("page_token") or 0)
        end = start + PAGE_SIZE
        more = end < len(self._resources)
        return {
            "currency": "USD",
            "resources": self._resources[start:end],
            "next_page_token": str(end) if more else None,
        }


def show_scan(output: dict[str, Any]) -> None:
    for finding in output["findings"]:
        print(
            f"  {finding['severity']:<8} {finding['rule_id']:<29} "
            f"{finding['resource_id']:<13} {finding['message']}"
        )
    summary = output["summary"]
    counts = ", ".join(f"{summary['by_severity'][severity]} {severity}" for severity in SEVERITIES)
    line = f"  {summary['findings']} finding(s): {counts}"
    if "estimated_monthly_savings" in summary:
        line += (
            f"; estimated savings {summary['estimated_monthly_savings']:.2f} "
            f"{summary['currency']} a month"
        )
    verdict = "passed" if summary["passed"] else "FAILED"
    print(f"{line}; fail_on {summary['fail_on']}: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: embedded)")
    args = parser.parse_args(argv)

    runner: RunnerConfig = load_model(RUNNER_CONTRACT, RunnerConfig)
    connector: ConnectorMetadata = load_model(CONNECTOR_METADATA, ConnectorMetadata)
    job_types = contracts_by_job_type([runner])
    connectors = ConnectorRegistry()
    connectors.register(CONNECTOR_ID, CannedInventory(datetime.now(UTC)))

    print("Starting a throwaway PostgreSQL and migrating it ...")
    with throwaway_database(args.database_url) as url, JobForgeClient(url) as client:
        tenant = uuid.uuid4()
        jobs = {
            job_type: client.enqueue_job(tenant_id=tenant, type=job_type, payload=payload).id
            for job_type, payload in PAYLOADS.items()
        }
        all_good = drain_report_and_replay(
            url,
            client,
            jobs,
            job_types=job_types,
            connectors=connectors,
            connector=connector,
            concurrency=3,
            show=lambda _job_type, output: show_scan(output),
        )
    print("The throwaway database is gone.")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
