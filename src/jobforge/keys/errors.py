"""What the API key library raises: one class per thing a caller acts on."""

from __future__ import annotations

from jobforge.errors import InvalidArgument, JobForgeError


class MalformedApiKey(InvalidArgument):
    """A text that is not an API key of JobForge's form (``jf_<key id>_<secret>``).

    The message never repeats the text: it may be a real key with a typo."""


class InvalidScope(InvalidArgument):
    """A scope that is not ``enqueue:<job type pattern>``, ``read:jobs``, ``cancel:jobs``
    or ``events:fire``."""


class ApiKeyRejected(JobForgeError):
    """A presented key does not authenticate. ``reason`` is for logs (malformed, unknown,
    revoked, expired, mismatch); answer the client without it (HTTP 401, "invalid API
    key"), so it learns nothing about which keys exist."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid API key ({reason})")
        self.reason = reason


class KeyJobFailed(JobForgeError):
    """A keys job finished without succeeding (dead or canceled); the message says why."""


class KeyJobTimeout(JobForgeError):
    """A keys job did not finish in time: no worker serving ``jobforge.keys.*`` ran it."""
