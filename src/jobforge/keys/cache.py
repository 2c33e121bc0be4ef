"""Remembering keys that checked out, so the ingress pays for scrypt once per key a while.

An entry lasts ``ttl_seconds`` (60 by default) or until the key expires, whichever is
first, and is found by the SHA-256 of the presented text (the text itself is not kept).
Only successes are kept: a refused key is checked again next time, so a key issued a
moment ago works at once and junk cannot fill the cache. The price: a revoked key keeps
working for up to ``ttl_seconds`` in a process that cached it; call ``forget(key_id)``
when the ingress learns of a revocation, and keep the TTL short.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from jobforge.errors import InvalidArgument
from jobforge.keys.authentication import AuthenticatedKey, KeyLookup, verify_api_key

DEFAULT_TTL_SECONDS = 60.0
DEFAULT_MAX_ENTRIES = 10_000
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class VerificationCache:
    """``verify(text, lookup)``: verify_api_key, answered from memory for keys that
    checked out in the last ``ttl_seconds``. Thread-safe; least recently used out first."""

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Clock = _utc_now,
    ) -> None:
        if not 0 < ttl_seconds <= 3600:
            raise InvalidArgument(
                f"ttl_seconds: expected above 0 and at most 3600, got {ttl_seconds}"
            )
        if max_entries < 1:
            raise InvalidArgument(f"max_entries: expected at least 1, got {max_entries}")
        self._ttl = timedelta(seconds=ttl_seconds)
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[AuthenticatedKey, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, text: str, lookup: KeyLookup) -> AuthenticatedKey:
        fingerprint = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        now = self._clock()
        with self._lock:
            entry = self._entries.get(fingerprint)
            if entry is not None:
                if entry[1] > now:
                    self._entries.move_to_end(fingerprint)
                    return entry[0]
                del self._entries[fingerprint]
        key = verify_api_key(text, lookup)
        until = now + self._ttl
        if key.expires_at is not None:
            until = min(until, key.expires_at)
        with self._lock:
            self._entries[fingerprint] = (key, until)
            self._entries.move_to_end(fingerprint)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return key

    def forget(self, key_id: uuid.UUID) -> int:
        """Drop the entries of ``key_id`` (after a revocation); how many there were."""
        with self._lock:
            doomed = [f for f, (key, _) in self._entries.items() if key.key_id == key_id]
            for fingerprint in doomed:
                del self._entries[fingerprint]
        return len(doomed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
