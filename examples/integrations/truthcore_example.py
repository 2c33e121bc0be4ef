"""The TruthCore runner end to end: verify records, print the verdict, replay the record.

Run it from the repository root with ``python examples/integrations/truthcore_example.py``
(``--database-url URL`` uses a PostgreSQL server of your own instead of the embedded one).
It starts an embedded PostgreSQL, migrates it, registers an in-process
``truthcore.source`` transport that serves a dataset of invoices from canned pages (no
network), and enqueues three ``truthcore.records.verify`` jobs: the dataset (which breaks
some rules), a handful of inline records (which keep them all), and a dataset the source
does not have. A real worker runs them in burst mode with the runner contract and the
connector's metadata enforced; the example prints each verdict with its evidence, then
replays the two recorded verdicts and says whether they reproduced. Exit status 0 means
the verdicts are the expected ones, the unknown dataset failed as ``connector_not_found``,
and both replays reproduced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from example_support import load_model

from jobforge.client import JobForgeClient
from jobforge.connectors.policy import policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.db.throwaway import throwaway_database
from jobforge.errors import ConnectorFailure
from jobforge.handlers import default_registry
from jobforge.replay.recorded import replay_recorded_job
from jobforge.runners.truthcore import verify
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import contracts_by_job_type

ROOT = Path(__file__).resolve().parents[2]
RUNNER_CONTRACT = ROOT / "contracts" / "runners" / "truthcore.verify.yaml"
CONNECTOR_METADATA = ROOT / "connectors" / "truthcore.source" / "metadata.json"
CONNECTOR_ID = "truthcore.source"
DATASET = "invoices-2024-q2"


def digest(invoice: dict[str, Any]) -> str:
    """What the invoicing system stores: SHA-256 of the canonical JSON of id and total."""
    covered = {"invoice_id": invoice["invoice_id"], "total": invoice["total"]}
    text = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def invoice(number: int, net: float, vat: float, total: float, **extra: Any) -> dict[str, Any]:
    record = {
        "invoice_id": f"INV-{number:04d}",
        "customer": extra.pop("customer", "Åsa Lindqvist"),
        "status": extra.pop("status", "paid"),
        "issued_on": extra.pop("issued_on", "2024-04-02"),
        "due_on": extra.pop("due_on", "2024-05-02"),
        "net": net,
        "vat": vat,
        "total": total,
        **extra,
    }
    record.setdefault("sha256", digest(record))
    return record


# The dataset, in the pages the source serves it in: 2 of 6 invoices break a rule.
PAGES: dict[str | None, dict[str, Any]] = {
    None: {
        "records": [
            invoice(1, 100.0, 25.0, 125.0),
            invoice(2, 0.1, 0.2, 0.3),  # exact in decimals: passes
            invoice(3, 80.0, 20.0, 100.0, status="void", void_reason="duplicate"),
        ],
        "next_cursor": "page-2",
    },
    "page-2": {
        "records": [
            invoice(4, 200.0, 50.0, 250.5),  # the total does not add up
            invoice(5, 40.0, 10.0, 50.0, due_on="2024-03-30"),  # due before it was issued
            invoice(6, 10.0, 2.5, 12.5, status="void", sha256="0" * 64),  # no reason, bad digest
        ],
        "next_cursor": None,
    },
}
RULES: list[dict[str, Any]] = [
    {
        "type": "schema",
        "name": "invoice shape",
        "schema": {
            "type": "object",
            "required": ["invoice_id", "status", "net", "vat", "total"],
            "properties": {
                "invoice_id": {"type": "string", "pattern": "^INV-[0-9]{4}$"},
                "status": {"enum": ["draft", "paid", "void"]},
            },
        },
    },
    {"type": "range", "name": "total is positive", "field": "total", "min": 0, "inclusive": False},
    {
        "type": "cross_field",
        "name": "net + vat = total",
        "op": "sum_equals",
        "field": "total",
        "fields": ["net", "vat"],
    },
    {
        "type": "cross_field",
        "name": "due after issued",
        "op": "ge",
        "field": "due_on",
        "other": "issued_on",
    },
    {
        "type": "checksum",
        "name": "digest of id and total",
        "field": "sha256",
        "algorithm": "sha256",
        "over_fields": ["invoice_id", "total"],
    },
    {"type": "unique", "name": "one row per invoice", "field": "invoice_id"},
    {
        "type": "required_if",
        "name": "voids say why",
        "field": "void_reason",
        "when": {"field": "status", "op": "eq", "value": "void"},
    },
]
DATASET_PAYLOAD = {"source": {"dataset": DATASET}, "id_field": "invoice_id", "rules": RULES}
INLINE_PAYLOAD = {
    "records": [invoice(7, 8.0, 2.0, 10.0), invoice(8, 16.0, 4.0, 20.0, customer="Zoë Ng")],
    "id_field": "invoice_id",
    "rules": RULES,
}
UNKNOWN_PAYLOAD = {"source": {"dataset": "invoices-1999"}, "rules": RULES}


class CannedSource:
    """The ``truthcore.source`` transport for this example: one dataset, in pages."""

    def __call__(self, operation: str, request: Any) -> Any:
        if operation != "fetch_records":
            raise ConnectorFailure("invalid_request", f"no operation {operation!r}")
        if request["dataset"] != DATASET:
            raise ConnectorFailure("not_found", f"no dataset {request['dataset']!r}")
        return PAGES[request["cursor"]]


def show_verdict(output: dict[str, Any]) -> None:
    summary = output["summary"]
    print(
        f"  verdict {output['verdict'].upper()}: {output['records']} records from "
        f"{output['source']['kind']}, {summary['rules_failed']} of {summary['rules']} rules "
        f"failed, {summary['violations']} violation(s)"
    )
    for report in output["rules"]:
        mark = "ok  " if report["passed"] else "FAIL"
        print(f"  {mark} {report['name']:<24} checked {report['checked']}")
        for item in report["evidence"]:
            actual = json.dumps(item["actual"], ensure_ascii=False) if "actual" in item else "—"
            print(
                f"       {item.get('record_id', item['record'])} {item['field']}: "
                f"expected {item['expected']}, got {actual}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: embedded)")
    args = parser.parse_args(argv)

    runner: RunnerConfig = load_model(RUNNER_CONTRACT, RunnerConfig)
    connector: ConnectorMetadata = load_model(CONNECTOR_METADATA, ConnectorMetadata)
    job_types = contracts_by_job_type([runner])
    connectors = ConnectorRegistry()
    connectors.register(CONNECTOR_ID, CannedSource())

    print("Starting a throwaway PostgreSQL and migrating it ...")
    with throwaway_database(args.database_url) as url, JobForgeClient(url) as client:
        tenant = uuid.uuid4()
        jobs = {
            name: client.enqueue_job(
                tenant_id=tenant, type=verify.JOB_TYPE, payload=payload, max_attempts=1
            ).id
            for name, payload in (
                (f"dataset {DATASET}", DATASET_PAYLOAD),
                ("inline records", INLINE_PAYLOAD),
                ("dataset invoices-1999", UNKNOWN_PAYLOAD),
            )
        }
        print(f"Enqueued {len(jobs)} {verify.JOB_TYPE} jobs; running a worker in burst mode ...")
        Worker(
            url,
            registry=default_registry,
            config=WorkerConfig(burst=True, concurrency=2),
            job_types=job_types,
            connectors=connectors,
            connector_policies=policies_from_metadata([connector]),
        ).run()

        verdicts = {}
        for name, job_id in jobs.items():
            result = client.get_result(job_id)
            print(f"\n{name} (job {job_id}): {result.outcome if result else 'not finished'}")
            if result is not None and result.outcome == "succeeded":
                show_verdict(result.output)
                verdicts[name] = result.output["verdict"]
            else:
                error = result.error if result else {}
                print(f"  failed: {error.get('kind')}: {error.get('message')}")
                verdicts[name] = error.get("kind")
        expected = {
            f"dataset {DATASET}": "fail",
            "inline records": "pass",
            "dataset invoices-1999": "connector_not_found",
        }
        all_good = verdicts == expected

        print()
        for name in (f"dataset {DATASET}", "inline records"):
            # No live transport: the replay reads the pages recorded in the input snapshot.
            replay = replay_recorded_job(
                client,
                jobs[name],
                registry=default_registry,
                job_types=job_types,
                connectors=ConnectorRegistry(),
            )
            print(f"Replay of the recorded {name} job: {replay.verdict.value}")
            all_good = all_good and replay.matches
    print("The throwaway database is gone.")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
