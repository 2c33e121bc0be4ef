"""Refusing network access from a thread while it replays a job.

A replayed handler must reach the outside world only through connectors (which answer
from recordings). An audit hook refuses socket connections and name lookups made by a
thread inside ``network_blocked()``; other threads, and libpq's own sockets, are not
affected.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jobforge.errors import NonRetryableError

_BLOCKED_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname"})
_state = threading.local()
_install_lock = threading.Lock()
_installed = False


class NetworkAccessDenied(NonRetryableError):
    """A replayed handler tried to use the network directly instead of a connector."""

    error_kind = "network_access"


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in _BLOCKED_EVENTS and getattr(_state, "blocked", False):
        target = args[1] if event == "socket.connect" else args[:2]
        raise NetworkAccessDenied(
            f"direct network access ({event} {target!r}) while replaying: handlers reach "
            "the outside world only through connectors (ctx.connector(...))"
        )


def _install() -> None:
    global _installed  # noqa: PLW0603 - an audit hook can be added once per process, never removed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_audit)
            _installed = True


@contextmanager
def network_blocked() -> Iterator[None]:
    _install()
    previous = getattr(_state, "blocked", False)
    _state.blocked = True
    try:
        yield
    finally:
        _state.blocked = previous
