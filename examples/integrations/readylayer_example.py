"""The ReadyLayer CDN runner end to end: warm a cache, judge assets, replay the record.

Run it from the repository root with ``python examples/integrations/readylayer_example.py``
(``--database-url URL`` uses a PostgreSQL server of your own instead of the embedded one).
It starts an embedded PostgreSQL, migrates it, registers an in-process ``readylayer.cdn``
transport that answers from canned responses (no network), enqueues a
``readylayer.cache.warm`` and a ``readylayer.assets.optimize`` job, runs a real worker in
burst mode with the runner contract and the connector's metadata enforced, prints the
results, then replays each recorded job and says whether it reproduced. Exit status 0
means both jobs succeeded and both replays reproduced.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

from example_support import drain_report_and_replay, load_model

from jobforge.client import JobForgeClient
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.db.throwaway import throwaway_database
from jobforge.runners.readylayer import optimize, warm
from jobforge.worker.job_types import contracts_by_job_type

ROOT = Path(__file__).resolve().parents[2]
RUNNER_CONTRACT = ROOT / "contracts" / "runners" / "readylayer.edge.yaml"
CONNECTOR_METADATA = ROOT / "connectors" / "readylayer.cdn" / "metadata.json"
CONNECTOR_ID = "readylayer.cdn"

WARM_PAYLOAD = {
    "zone": "shop.example.com",
    "urls": [
        "https://shop.example.com/",
        "https://shop.example.com/sale",
        "HTTPS://Shop.Example.com:443/sale#banner",  # the same cache key as /sale
        "https://shop.example.com/old-collection",
        "https://static.shop.example.com/app.css",
        "https://partner.example.net/feed",  # outside the zone
        *(f"https://shop.example.com/products/{number}" for number in range(1, 10)),
        "https://shop.example.com/account",
    ],
}
OPTIMIZE_PAYLOAD = {
    "zone": "shop.example.com",
    "policy": {"image_format": "avif"},
    "assets": [
        {
            "path": "/img/hero.jpg",
            "content_type": "image/jpeg",
            "size_bytes": 2_457_600,
            "width": 4000,
            "height": 2250,
            "display_width": 1200,
            "cache_control": "public, max-age=3600",
        },
        {"path": "/index.html", "content_type": "text/html; charset=utf-8", "size_bytes": 48_213},
        {
            "path": "/assets/app.3f9a1c2b.js",
            "content_type": "application/javascript",
            "size_bytes": 183_402,
            "content_encoding": "gzip",
            "cache_control": "max-age=600",
        },
        {
            "path": "/account/orders.json",
            "content_type": "application/json",
            "size_bytes": 40_960,
            "content_encoding": "br",
            "cache_control": "private, max-age=60",
        },
    ],
}


class CannedEdge:
    """The ``readylayer.cdn`` transport for this example: its limits are the connector
    metadata's, and each URL gets a canned answer instead of a fetch through the edge."""

    ANSWERS: dict[str, dict[str, Any]] = {  # noqa: RUF012 - read-only example data
        "https://shop.example.com/": {"status": 200, "cache_status": "HIT"},
        "https://shop.example.com/old-collection": {"status": 404, "cache_status": "MISS"},
        "https://shop.example.com/account": {"status": 200, "cache_status": "BYPASS"},
    }

    def __init__(self, metadata: ConnectorMetadata) -> None:
        limits = metadata.rate_limits
        self._limits = {
            "requests_per_second": limits.requests_per_second,
            "burst_size": limits.burst_size,
        }

    def __call__(self, operation: str, request: Any) -> Any:
        if operation == "describe_limits":
            return self._limits
        if operation == "warm_urls":
            return {
                "results": [
                    {"url": url, **self.ANSWERS.get(url, {"status": 200, "cache_status": "MISS"})}
                    for url in request["urls"]
                ]
            }
        raise ValueError(f"the canned edge does not serve {operation!r}")


def show_output(job_type: str, output: dict[str, Any]) -> None:
    (show_warm if job_type == warm.JOB_TYPE else show_optimize)(output)


def show_warm(output: dict[str, Any]) -> None:
    summary = output["summary"]
    print(
        f"  batch size {output['batch_size']} (the connector's burst size), "
        f"{len(output['batches'])} batch(es) starting at "
        f"{[batch['start_offset_ms'] for batch in output['batches']]} ms"
    )
    for outcome in output["outcomes"]:
        detail = (
            outcome.get("cache_status") if outcome["outcome"] == "warmed" else outcome["reason"]
        )
        print(f"  {outcome['outcome']:<8} {outcome['url']}  ({detail})")
    print(
        f"  {summary['warmed']} warmed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped of {summary['requested']}"
    )


def show_optimize(output: dict[str, Any]) -> None:
    for report in output["assets"]:
        print(f"  {report['path']}")
        for decision in report["decisions"]:
            parameters = {
                key: value
                for key, value in decision.items()
                if key not in ("aspect", "action", "reason")
            }
            line = f"    {decision['aspect']:<13} {decision['action']:<17} {parameters or ''}"
            print(line.rstrip())
            print(f"      why: {decision['reason']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: embedded)")
    args = parser.parse_args(argv)

    runner: RunnerConfig = load_model(RUNNER_CONTRACT, RunnerConfig)
    connector: ConnectorMetadata = load_model(CONNECTOR_METADATA, ConnectorMetadata)
    job_types = contracts_by_job_type([runner])
    connectors = ConnectorRegistry()
    connectors.register(CONNECTOR_ID, CannedEdge(connector))

    print("Starting a throwaway PostgreSQL and migrating it ...")
    with throwaway_database(args.database_url) as url, JobForgeClient(url) as client:
        tenant = uuid.uuid4()
        jobs = {
            warm.JOB_TYPE: client.enqueue_job(
                tenant_id=tenant, type=warm.JOB_TYPE, payload=WARM_PAYLOAD
            ).id,
            optimize.JOB_TYPE: client.enqueue_job(
                tenant_id=tenant, type=optimize.JOB_TYPE, payload=OPTIMIZE_PAYLOAD
            ).id,
        }
        all_good = drain_report_and_replay(
            url,
            client,
            jobs,
            job_types=job_types,
            connectors=connectors,
            connector=connector,
            concurrency=2,
            show=show_output,
        )
    print("The throwaway database is gone.")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
