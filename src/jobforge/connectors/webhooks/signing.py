"""Signing outbound webhooks: the three Standard Webhooks headers for one delivery."""

from __future__ import annotations

import time

from jobforge.connectors.webhooks.secret import WebhookSecret
from jobforge.connectors.webhooks.signature import (
    ID_HEADER,
    MESSAGE_ID_EXPECTED,
    MESSAGE_ID_PATTERN,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TIMESTAMP_PATTERN,
    Clock,
    v1_signature,
)
from jobforge.errors import ConfigurationError, InvalidArgument


class WebhookSigner:
    """Signs with ``current``, and during a rotation with ``previous`` too, so a receiver
    that still knows only the previous secret keeps verifying until it is told the new one.

    The ``webhook-signature`` header then carries both signatures, current first.
    """

    def __init__(
        self,
        current: WebhookSecret,
        *,
        previous: WebhookSecret | None = None,
        clock: Clock = time.time,
    ) -> None:
        if previous is not None and previous == current:
            raise ConfigurationError("the previous webhook secret is the current one")
        self._secrets = (current,) if previous is None else (current, previous)
        self._clock = clock

    def sign(self, body: bytes, *, message_id: str, timestamp: int | None = None) -> dict[str, str]:
        """The headers to send with ``body`` (the exact bytes of the request body).

        ``timestamp`` defaults to the clock's current second. A retry of the same message
        keeps its ``message_id`` and is signed again, with a new timestamp.
        """
        if not MESSAGE_ID_PATTERN.fullmatch(message_id):
            raise InvalidArgument(f"message_id must be {MESSAGE_ID_EXPECTED}; got {message_id!r}")
        signed_at = int(self._clock()) if timestamp is None else timestamp
        if not TIMESTAMP_PATTERN.fullmatch(str(signed_at)):
            raise InvalidArgument(f"timestamp must be whole seconds since 1970; got {signed_at}")
        signatures = [v1_signature(s, message_id, signed_at, body) for s in self._secrets]
        return {
            ID_HEADER: message_id,
            TIMESTAMP_HEADER: str(signed_at),
            SIGNATURE_HEADER: " ".join(signatures),
        }
