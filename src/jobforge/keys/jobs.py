"""The keys jobs' payloads, built where the key's text is made: never inside a job.

``prepare_issue`` and ``prepare_rotation`` make a new key, hash it, and return the key
(to show once the job has stored its hash) with the job that stores it, whose payload
carries the key's id, display prefix and hash, never its text. ``revoke_job`` and
``list_job`` carry no secret at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobforge.errors import InvalidArgument
from jobforge.keys.hashing import DEFAULT_PARAMETERS, ScryptParameters, hash_key
from jobforge.keys.material import PlaintextKey, new_key
from jobforge.keys.scopes import validate_scopes
from jobforge.runners.keys.names import (
    ISSUE_JOB_TYPE,
    LIST_JOB_TYPE,
    MAX_GRACE_SECONDS,
    REVOKE_JOB_TYPE,
    ROTATE_JOB_TYPE,
)

MAX_NAME_LENGTH = 200
MAX_REASON_LENGTH = 500
DEFAULT_GRACE = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class KeysJob:
    """One keys job to enqueue for a tenant."""

    job_type: str
    payload: dict[str, Any]
    idempotency_key: str | None = None


def prepare_issue(
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    parameters: ScryptParameters = DEFAULT_PARAMETERS,
) -> tuple[PlaintextKey, KeysJob]:
    """A new key named ``name`` with ``scopes``, and the job that stores its hash."""
    payload: dict[str, Any] = {"name": _text(name, "name", MAX_NAME_LENGTH)}
    payload["scopes"] = list(validate_scopes(scopes))
    if expires_at is not None:
        payload["expires_at"] = _time(expires_at, "expires_at")
    key = new_key()
    payload.update(_new_key_fields(key, parameters))
    return key, KeysJob(ISSUE_JOB_TYPE, payload, idempotency_key=f"issue:{key.key_id}")


def prepare_rotation(
    key_id: uuid.UUID | str,
    *,
    grace: timedelta = DEFAULT_GRACE,
    expires_at: datetime | None = None,
    parameters: ScryptParameters = DEFAULT_PARAMETERS,
) -> tuple[PlaintextKey, KeysJob]:
    """A new key to replace ``key_id``, and the job that rotates to it. The old key stays
    valid for ``grace`` (0 to 30 days) after the job runs."""
    old_key_id = _key_id(key_id)
    grace_seconds = grace.total_seconds()
    if not (0 <= grace_seconds <= MAX_GRACE_SECONDS and grace_seconds == int(grace_seconds)):
        raise InvalidArgument(
            f"grace: expected whole seconds from 0 to {MAX_GRACE_SECONDS // 86400} days"
        )
    key = new_key()
    new_fields = _new_key_fields(key, parameters)
    payload: dict[str, Any] = {
        "key_id": old_key_id,
        "new_key": new_fields,
        "grace_seconds": int(grace_seconds),
    }
    if expires_at is not None:
        payload["expires_at"] = _time(expires_at, "expires_at")
    idempotency_key = f"rotate:{old_key_id}:{key.key_id}"
    return key, KeysJob(ROTATE_JOB_TYPE, payload, idempotency_key=idempotency_key)


def revoke_job(key_id: uuid.UUID | str, *, reason: str | None = None) -> KeysJob:
    payload: dict[str, Any] = {"key_id": _key_id(key_id)}
    if reason is not None:
        payload["reason"] = _text(reason, "reason", MAX_REASON_LENGTH)
    return KeysJob(REVOKE_JOB_TYPE, payload)


def list_job(*, include_inactive: bool = False, limit: int = 100) -> KeysJob:
    return KeysJob(LIST_JOB_TYPE, {"include_inactive": include_inactive, "limit": limit})


def _new_key_fields(key: PlaintextKey, parameters: ScryptParameters) -> dict[str, Any]:
    return {
        "key_id": str(key.key_id),
        "prefix": key.prefix,
        "verifier": hash_key(key.text, parameters).to_json(),
    }


def _key_id(key_id: uuid.UUID | str) -> str:
    try:
        return str(key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(str(key_id)))
    except ValueError:
        raise InvalidArgument(f"key id: expected a UUID, got {str(key_id)[:80]!r}") from None


def _text(value: str, field: str, max_length: int) -> str:
    if not 1 <= len(value) <= max_length:
        raise InvalidArgument(f"{field}: expected 1 to {max_length} characters")
    if any(ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F for character in value):
        raise InvalidArgument(f"{field}: control characters are not allowed")
    return value


def _time(value: datetime, field: str) -> str:
    if value.tzinfo is None:
        raise InvalidArgument(f"{field}: expected a time with a time zone")
    return value.astimezone(UTC).isoformat()
