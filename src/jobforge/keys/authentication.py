"""Checking a presented API key: what the HTTP ingress calls for every request.

``verify_api_key(text, lookup)`` parses the key, looks its id up
(``DatabaseKeyLookup``: ``jobforge.jobforge_authenticate_api_key``, callable by the owner
and key verifier roles), refuses it unless it is active, then hashes the text with the
stored salt and cost and compares in constant time. An unknown, revoked or expired key is
refused without hashing: key ids are not secrets, and hashing for them would let anyone
make the ingress spend CPU. Wrap it in a VerificationCache (``cache.py``) so a client's
every request does not pay for scrypt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobforge.db.connection import connect
from jobforge.db.errors import translated_errors
from jobforge.errors import InvalidArgument
from jobforge.keys.errors import ApiKeyRejected, MalformedApiKey
from jobforge.keys.hashing import KDF, KeyHash, ScryptParameters, key_matches
from jobforge.keys.material import parse_key
from jobforge.keys.queries import key_query
from jobforge.keys.scopes import ScopeAction, scope_allows


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A stored key as the authentication RPC gives it: ``stored`` only when active."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    scopes: tuple[str, ...]
    status: str  # active, expired or revoked, at checked_at
    expires_at: datetime | None
    checked_at: datetime
    stored: KeyHash | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> KeyRecord:
        stored = None
        if row["status"] == "active" and row["kdf"] == KDF and row["hash"] is not None:
            stored = KeyHash(
                ScryptParameters(row["kdf_n"], row["kdf_r"], row["kdf_p"]),
                bytes(row["salt"]),
                bytes(row["hash"]),
            )
        return cls(
            key_id=row["key_id"],
            tenant_id=row["tenant_id"],
            scopes=tuple(row["scopes"]),
            status=str(row["status"]),
            expires_at=row["expires_at"],
            checked_at=row["checked_at"],
            stored=stored,
        )


@dataclass(frozen=True, slots=True)
class AuthenticatedKey:
    """A key that checked out: whose it is and what it may do."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    scopes: tuple[str, ...]
    expires_at: datetime | None

    def allows(self, action: ScopeAction, job_type: str | None = None) -> bool:
        return scope_allows(self.scopes, action, job_type)


KeyLookup = Callable[[uuid.UUID], KeyRecord | None]


class DatabaseKeyLookup:
    """Looks keys up with ``jobforge_authenticate_api_key``, as the role of
    ``database_url`` (the owner, or a role named with ``jobforge keys grant-verifier``).
    One connection, opened on first use; not shared between threads."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._conn: Any = None

    def __call__(self, key_id: uuid.UUID) -> KeyRecord | None:
        with translated_errors():
            if self._conn is None or self._conn.closed:
                self._conn = connect(self._database_url)
            row = self._conn.execute(key_query("authenticate_api_key"), {"key_id": key_id})
            found = row.fetchone()
        return None if found is None else KeyRecord.from_row(found)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def verify_api_key(text: str, lookup: KeyLookup) -> AuthenticatedKey:
    """The key ``text`` authenticates as, or ApiKeyRejected (reason: malformed, unknown,
    revoked, expired or mismatch)."""
    try:
        presented = parse_key(text)
    except MalformedApiKey:
        raise ApiKeyRejected("malformed") from None
    record = lookup(presented.key_id)
    if record is None:
        raise ApiKeyRejected("unknown")
    if record.status != "active" or record.stored is None:
        raise ApiKeyRejected(record.status if record.status != "active" else "unknown")
    try:
        matched = key_matches(presented.text, record.stored)
    except InvalidArgument:
        matched = False
    if not matched:
        raise ApiKeyRejected("mismatch")
    return AuthenticatedKey(record.key_id, record.tenant_id, record.scopes, record.expires_at)
