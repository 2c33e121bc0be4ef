"""The API keys runner end to end: issue, check, rotate, revoke and list keys, then replay.

Run it from the repository root with ``python examples/integrations/keys_example.py``
(``--database-url URL`` uses a PostgreSQL server of your own instead of the embedded one).
It starts an embedded PostgreSQL, migrates it, and registers the ``jobforge.keys.store``
connector's live transport (the key RPCs of that same database, in-process: no network).
Then, as ``jobforge keys`` does: it makes a key outside any job, enqueues a
``jobforge.keys.issue`` job carrying only the key's id, prefix and hash, runs a real worker
in burst mode with the runner contract and the connector's metadata enforced, and shows the
key once it is stored. It checks the key as the HTTP ingress will, rotates it (both keys
work during the grace period), revokes the old one, lists the tenant's keys, and finally
replays every recorded job without the store and says whether each reproduced. Exit status
0 means every step did what it should.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from example_support import load_model

from jobforge.client import JobForgeClient
from jobforge.connectors.policy import policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.db.throwaway import throwaway_database
from jobforge.handlers import default_registry
from jobforge.keys import (
    ApiKeyRejected,
    DatabaseKeyLookup,
    KeysJob,
    ScopeAction,
    VerificationCache,
    list_job,
    prepare_issue,
    prepare_rotation,
    revoke_job,
)
from jobforge.keys.store_transport import register_key_store
from jobforge.replay.recorded import replay_recorded_job
from jobforge.runners.keys import handlers  # noqa: F401 - registers the keys handlers
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import JobTypeContract, contracts_by_job_type

ROOT = Path(__file__).resolve().parents[2]
RUNNER_CONTRACT = ROOT / "contracts" / "runners" / "jobforge.keys.yaml"
CONNECTOR_METADATA = ROOT / "connectors" / "jobforge.keys.store" / "metadata.json"


class KeysRun:
    """Runs keys jobs for one tenant: enqueue, drain with a burst worker, read the result."""

    def __init__(
        self,
        url: str,
        client: JobForgeClient,
        tenant: uuid.UUID,
        *,
        job_types: dict[str, JobTypeContract],
        connectors: ConnectorRegistry,
        metadata: ConnectorMetadata,
    ) -> None:
        self.url, self.client, self.tenant = url, client, tenant
        self.job_types, self.connectors, self.metadata = job_types, connectors, metadata
        self.job_ids: list[tuple[str, uuid.UUID]] = []

    def run(self, job: KeysJob) -> dict[str, Any]:
        job_id = self.client.enqueue_job(
            tenant_id=self.tenant,
            type=job.job_type,
            payload=job.payload,
            idempotency_key=job.idempotency_key,
        ).id
        Worker(
            self.url,
            registry=default_registry,
            config=WorkerConfig(burst=True, concurrency=1),
            job_types=self.job_types,
            connectors=self.connectors,
            connector_policies=policies_from_metadata([self.metadata]),
        ).run()
        self.job_ids.append((job.job_type, job_id))
        result = self.client.get_result(job_id)
        if result is None or result.outcome != "succeeded":
            raise SystemExit(f"{job.job_type} job {job_id} failed: {result and result.error}")
        output: dict[str, Any] = result.output
        return output


def check(cache: VerificationCache, lookup: DatabaseKeyLookup, label: str, text: str) -> bool:
    """Check a key as the ingress does; True if it authenticates."""
    try:
        key = cache.verify(text, lookup)
    except ApiKeyRejected as refused:
        print(f"  {label}: refused ({refused.reason})")
        return False
    may = [
        job_type
        for job_type in ("acme.billing.charge", "acme.billing.invoice.send", "acme.shipping.label")
        if key.allows(ScopeAction.ENQUEUE, job_type)
    ]
    print(f"  {label}: tenant {key.tenant_id}, may enqueue {', '.join(may)}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: embedded)")
    args = parser.parse_args(argv)

    runner: RunnerConfig = load_model(RUNNER_CONTRACT, RunnerConfig)
    metadata: ConnectorMetadata = load_model(CONNECTOR_METADATA, ConnectorMetadata)
    job_types = contracts_by_job_type([runner])

    print("Starting a throwaway PostgreSQL and migrating it ...")
    with throwaway_database(args.database_url) as url, JobForgeClient(url) as client:
        connectors = ConnectorRegistry()
        register_key_store(url, connectors=connectors)
        tenant = uuid.uuid4()
        keys = KeysRun(
            url, client, tenant, job_types=job_types, connectors=connectors, metadata=metadata
        )
        lookup = DatabaseKeyLookup(url)
        results: list[bool] = []

        key, job = prepare_issue(
            name="billing sync",
            scopes=["enqueue:acme.billing.*", "read:jobs"],
            expires_at=datetime.now(UTC) + timedelta(days=90),
        )
        print(f"\nThe {job.job_type} job's payload (no key in it): {sorted(job.payload)}")
        issued = keys.run(job)["key"]
        print(f"Issued key {issued['key_id']} ({issued['prefix']}), {issued['status']}:")
        print(f"  {key.text}")
        print("  (shown once, as `jobforge keys issue` does: only its hash is stored)")

        print("\nChecking it as the HTTP ingress will:")
        results.append(check(VerificationCache(), lookup, "the key", key.text))

        new, rotation = prepare_rotation(key.key_id, grace=timedelta(hours=1))
        rotated = keys.run(rotation)
        print(
            f"\nRotated to key {rotated['new_key']['key_id']}; the old key is "
            f"{rotated['old_key']['status']} until {rotated['old_key']['expires_at']}:"
        )
        cache = VerificationCache()
        results.append(check(cache, lookup, "the old key", key.text))
        results.append(check(cache, lookup, "the new key", new.text))

        revoked = keys.run(revoke_job(key.key_id, reason="rotated out"))["key"]
        print(f"\nRevoked the old key at {revoked['revoked_at']}:")
        cache.forget(key.key_id)  # what the ingress does when it hears of a revocation
        results.append(not check(cache, lookup, "the old key", key.text))
        results.append(check(cache, lookup, "the new key", new.text))

        listing = keys.run(list_job(include_inactive=True))
        print(f"\nThe tenant's keys ({listing['count']}):")
        for listed in listing["keys"]:
            print(
                f"  {listed['key_id']}  {listed['prefix']}  {listed['status']:<8} {listed['name']}"
            )
        lookup.close()

        print()
        for job_type, job_id in keys.job_ids:
            # No transport here: the store's answers come from the job's record.
            replay = replay_recorded_job(
                client, job_id, registry=default_registry, job_types=job_types,
                connectors=ConnectorRegistry(),
            )  # fmt: skip
            print(f"Replay of the recorded {job_type} job: {replay.verdict.value}")
            results.append(replay.matches)
    print("The throwaway database is gone.")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
