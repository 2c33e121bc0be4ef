"""Where a verifier remembers the webhook ids it accepted, to refuse a replay in the window.

An id needs remembering only until its timestamp leaves the tolerance window: from then on
the timestamp check refuses the message. A store therefore keeps each id until
``expires_at`` and may forget it after.
"""

from __future__ import annotations

import heapq
import threading
from typing import Protocol


class SeenMessageIds(Protocol):
    """Remembers accepted webhook ids. ``remember`` must be atomic: of two concurrent calls
    with one id, exactly one returns True. A PostgreSQL store does it with
    ``INSERT ... ON CONFLICT DO NOTHING``, in the transaction that acts on the message, so
    that a failure forgets the id again and the sender's retry is accepted."""

    def remember(self, message_id: str, *, expires_at: int, now: int) -> bool:
        """Record ``message_id`` until ``expires_at``; False if it is already recorded.

        ``now`` is the verifier's clock, so a store may drop ids whose time has passed.
        """
        ...


class InMemorySeenMessageIds:
    """A store for one process (tests, examples, a single receiver): forgets on restart."""

    def __init__(self) -> None:
        self._expiry_by_id: dict[str, int] = {}
        self._expiry_queue: list[tuple[int, str]] = []  # a heap: the next id to forget first
        self._lock = threading.Lock()

    def remember(self, message_id: str, *, expires_at: int, now: int) -> bool:
        with self._lock:
            self._forget_expired(now)
            if message_id in self._expiry_by_id:
                return False
            self._expiry_by_id[message_id] = expires_at
            heapq.heappush(self._expiry_queue, (expires_at, message_id))
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry_by_id)

    def _forget_expired(self, now: int) -> None:
        while self._expiry_queue and self._expiry_queue[0][0] < now:
            _, message_id = heapq.heappop(self._expiry_queue)
            del self._expiry_by_id[message_id]
