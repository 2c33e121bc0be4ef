"""Issue, rotate, revoke and list keys by running keys jobs and waiting for their results.

What ``jobforge keys`` does. A worker serving ``jobforge.keys.*`` (with the store
transport registered: ``jobforge worker run`` does it) must be running. The new key's
text of ``issue_key`` and ``rotate_key`` is returned only once the job has stored its
hash; if the job fails or does not finish in time, the text is dropped, never shown.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jobforge.client import JobForgeClient
from jobforge.db.connection import connect
from jobforge.db.errors import translated_errors
from jobforge.errors import JobNotFound
from jobforge.keys.errors import KeyJobFailed, KeyJobTimeout
from jobforge.keys.jobs import (
    DEFAULT_GRACE,
    KeysJob,
    list_job,
    prepare_issue,
    prepare_rotation,
    revoke_job,
)
from jobforge.keys.queries import key_query

DEFAULT_WAIT_SECONDS = 60.0
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A stored key: ``text`` is the only copy of the key there will ever be."""

    text: str = field(repr=False)
    key: dict[str, Any]
    job_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class RotatedKey:
    """The new key (``text``: its only copy) and the old one, valid until it expires."""

    text: str = field(repr=False)
    old_key: dict[str, Any]
    new_key: dict[str, Any]
    job_id: uuid.UUID


def run_keys_job(
    client: JobForgeClient,
    tenant_id: uuid.UUID | str,
    job: KeysJob,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> tuple[uuid.UUID, dict[str, Any]]:
    """Enqueue ``job`` for ``tenant_id`` and wait for it: (job id, output), or
    KeyJobFailed, or KeyJobTimeout (the job is then canceled, if it had not started)."""
    receipt = client.enqueue_job(
        tenant_id=tenant_id,
        type=job.job_type,
        payload=job.payload,
        idempotency_key=job.idempotency_key,
    )
    deadline = time.monotonic() + wait_seconds
    pause = FIRST_POLL_SECONDS
    waiting = threading.Event()
    while True:
        current = client.get_job(receipt.id)
        if current.is_finished:
            break
        if time.monotonic() >= deadline:
            if current.state == "queued":
                client.cancel_job(receipt.id)
            raise KeyJobTimeout(
                f"{job.job_type} job {receipt.id} is still {current.state} after "
                f"{wait_seconds:g} s: is a worker serving jobforge.keys.* running "
                "(jobforge worker run, with jobforge.runners.keys.handlers among its "
                "handler modules)?"
                + (" The job was canceled." if current.state == "queued" else "")
            )
        waiting.wait(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, MAX_POLL_SECONDS)
    result = client.get_result(receipt.id)
    if current.state != "succeeded" or result is None or not isinstance(result.output, dict):
        error = current.last_error if isinstance(current.last_error, dict) else {}
        raise KeyJobFailed(
            f"{job.job_type} job {receipt.id} is {current.state}: "
            f"{error.get('kind', 'error')}: {error.get('message', 'no error recorded')}"
        )
    return receipt.id, result.output


def issue_key(
    client: JobForgeClient,
    *,
    tenant_id: uuid.UUID | str,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> IssuedKey:
    """Make a key for ``tenant_id``, store its hash through a ``jobforge.keys.issue`` job,
    and return it with its metadata."""
    key, job = prepare_issue(name=name, scopes=scopes, expires_at=expires_at)
    job_id, output = run_keys_job(client, tenant_id, job, wait_seconds=wait_seconds)
    return IssuedKey(key.text, output["key"], job_id)


def rotate_key(
    client: JobForgeClient,
    key_id: uuid.UUID | str,
    *,
    tenant_id: uuid.UUID | str,
    grace: timedelta = DEFAULT_GRACE,
    expires_at: datetime | None = None,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> RotatedKey:
    """Replace ``key_id`` with a new key; the old one stays valid for ``grace``."""
    key, job = prepare_rotation(key_id, grace=grace, expires_at=expires_at)
    job_id, output = run_keys_job(client, tenant_id, job, wait_seconds=wait_seconds)
    return RotatedKey(key.text, output["old_key"], output["new_key"], job_id)


def revoke_key(
    client: JobForgeClient,
    key_id: uuid.UUID | str,
    *,
    tenant_id: uuid.UUID | str,
    reason: str | None = None,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> dict[str, Any]:
    """Revoke ``key_id`` at once; the job's output (``key``, ``already_revoked``)."""
    return run_keys_job(
        client, tenant_id, revoke_job(key_id, reason=reason), wait_seconds=wait_seconds
    )[1]


def list_keys(
    client: JobForgeClient,
    *,
    tenant_id: uuid.UUID | str,
    include_inactive: bool = False,
    limit: int = 100,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> dict[str, Any]:
    """The tenant's keys (the ``jobforge.keys.list`` job's output)."""
    job = list_job(include_inactive=include_inactive, limit=limit)
    return run_keys_job(client, tenant_id, job, wait_seconds=wait_seconds)[1]


def key_tenant(database_url: str, key_id: uuid.UUID | str) -> uuid.UUID:
    """The tenant of ``key_id``, as the role of ``database_url`` sees it (a producer sees
    its tenants' keys; the owner every key), or JobNotFound."""
    with translated_errors(), connect(database_url) as conn:
        row = conn.execute(key_query("api_key_tenant"), {"key_id": str(key_id)}).fetchone()
    if row is None:
        raise JobNotFound(
            f"no API key {key_id} is visible to this role (give --tenant, or connect as a "
            "producer of the key's tenant)"
        )
    tenant: uuid.UUID = row["tenant_id"]  # type: ignore[assignment]
    return tenant


def grant_key_verifier(database_url: str, role: str) -> None:
    """Let ``role`` call jobforge_authenticate_api_key (needs the owner)."""
    with translated_errors(), connect(database_url) as conn:
        conn.execute(key_query("grant_key_verifier"), {"role": role})


def revoke_key_verifier(database_url: str, role: str) -> bool:
    """Withdraw that; True if ``role`` was a key verifier (needs the owner)."""
    with translated_errors(), connect(database_url) as conn:
        row = conn.execute(key_query("revoke_key_verifier"), {"role": role}).fetchone()
    return bool(row and row["revoked"])
