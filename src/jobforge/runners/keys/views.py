"""A stored key as the keys jobs report it: its metadata and its status at ``ctx.now``.

The ``jobforge.keys.store`` connector answers with key documents (never hash material);
they are checked here, so a malformed answer fails the job instead of shaping its output.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jobforge.runners.keys.errors import InvalidStoreResponse
from jobforge.runners.keys.requests import parse_time

TEXT_FIELDS = ("key_id", "name", "prefix")
TIME_FIELDS = ("created_at", "expires_at", "revoked_at")
OPTIONAL_FIELDS = ("expires_at", "revoked_at", "revoked_reason", "replaced_by")
KEY_FIELDS = (
    "key_id",
    "name",
    "prefix",
    "scopes",
    "created_at",
    "expires_at",
    "revoked_at",
    "revoked_reason",
    "replaced_by",
)
STATUSES = ("active", "grace", "expired", "revoked")


def key_status(
    *,
    expires_at: datetime | None,
    revoked_at: datetime | None,
    replaced_by: str | None,
    now: datetime,
) -> str:
    """revoked (whenever it was revoked), expired (by ``now``), grace (replaced by a
    rotation, still valid until it expires) or active."""
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and expires_at <= now:
        return "expired"
    if replaced_by is not None:
        return "grace"
    return "active"


def key_view(document: Any, now: datetime, where: str) -> dict[str, Any]:
    """The key ``document`` from the store, checked, with its status at ``now``.

    ``where`` names the document in the response (``api_key``, ``keys[3]``) for errors."""
    if not isinstance(document, Mapping):
        raise InvalidStoreResponse(f"{where}: expected a key object, got {type(document).__name__}")
    missing = [name for name in KEY_FIELDS if name not in document]
    if missing:
        raise InvalidStoreResponse(f"{where}: missing {', '.join(missing)}")
    for name in KEY_FIELDS:
        value = document[name]
        if name == "scopes":
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise InvalidStoreResponse(f"{where}.scopes: expected a list of strings")
        elif not (isinstance(value, str) or (value is None and name in OPTIONAL_FIELDS)):
            raise InvalidStoreResponse(f"{where}.{name}: expected a string, got {value!r}")
    times = {name: _time(document[name], f"{where}.{name}") for name in TIME_FIELDS}
    view = {name: document[name] for name in KEY_FIELDS}
    view["scopes"] = list(document["scopes"])
    view["status"] = key_status(
        expires_at=times["expires_at"],
        revoked_at=times["revoked_at"],
        replaced_by=document["replaced_by"],
        now=now,
    )
    return view


def _time(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise InvalidStoreResponse(f"{where}: expected an RFC 3339 time, got {value!r}") from None
