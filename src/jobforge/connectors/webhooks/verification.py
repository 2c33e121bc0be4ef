"""Verifying a signed webhook: headers, tolerance window, signatures, then replay.

Framework-neutral on purpose: it takes the raw body bytes and any mapping of header names
to values, so the sender's tests and the receiver in ``jobforge serve`` use the same code.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from jobforge.connectors.webhooks.errors import (
    MalformedWebhookHeader,
    MissingWebhookHeader,
    NoMatchingWebhookSignature,
    WebhookReplayed,
    WebhookTimestampTooNew,
    WebhookTimestampTooOld,
)
from jobforge.connectors.webhooks.replay import SeenMessageIds
from jobforge.connectors.webhooks.secret import WebhookSecret
from jobforge.connectors.webhooks.signature import (
    ID_HEADER,
    MESSAGE_ID_EXPECTED,
    MESSAGE_ID_PATTERN,
    SIGNATURE_HEADER,
    SIGNATURE_VERSION,
    TIMESTAMP_EXPECTED,
    TIMESTAMP_HEADER,
    TIMESTAMP_PATTERN,
    V1_SIGNATURE_PATTERN,
    Clock,
    v1_signature,
)
from jobforge.errors import ConfigurationError

DEFAULT_TOLERANCE_SECONDS = 300
MAX_TOLERANCE_SECONDS = 3600
SIGNATURE_LIST_EXPECTED = (
    "space-separated '<version>,<signature>' entries, v1 ones as 'v1,' + base64 of 32 bytes"
)


class Headers(Protocol):
    """What ``verify`` reads headers from: a dict, or a server's own headers object, whose
    ``items()`` lists a repeated header once per occurrence (so repeats can be refused)."""

    def items(self) -> Iterable[tuple[str, str]]: ...


@dataclass(frozen=True, slots=True)
class VerifiedWebhook:
    """A delivery that passed every check. ``matched`` says which secret signed it: once no
    delivery matches ``previous`` any more, the rotation is over and it can be dropped."""

    message_id: str
    timestamp: int
    body: bytes
    matched: Literal["current", "previous"]


class WebhookVerifier:
    """Accepts a delivery signed with ``current`` or ``previous``, timestamped within
    ``tolerance_seconds`` of the clock (either way), whose id ``seen_ids`` has not seen."""

    def __init__(
        self,
        current: WebhookSecret,
        *,
        previous: WebhookSecret | None = None,
        seen_ids: SeenMessageIds,
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        if previous is not None and previous == current:
            raise ConfigurationError("the previous webhook secret is the current one")
        if not 0 < tolerance_seconds <= MAX_TOLERANCE_SECONDS:
            raise ConfigurationError(
                f"tolerance_seconds must be from 1 to {MAX_TOLERANCE_SECONDS}; "
                f"got {tolerance_seconds}"
            )
        self._secrets: list[tuple[Literal["current", "previous"], WebhookSecret]] = [
            ("current", current)
        ]
        if previous is not None:
            self._secrets.append(("previous", previous))
        self._seen_ids = seen_ids
        self._tolerance_seconds = tolerance_seconds
        self._clock = clock

    def verify(self, body: bytes, headers: Headers) -> VerifiedWebhook:
        """Check ``body`` (the raw bytes received, before any parsing) against ``headers``
        (names in any case). Raises a ``WebhookVerificationError`` subclass on refusal.

        The id is remembered only after the signature checks out: unsigned requests cannot
        fill the store, nor block a genuine message by sending its id first.
        """
        message_id = _header(headers, ID_HEADER)
        timestamp_text = _header(headers, TIMESTAMP_HEADER)
        signature_list = _header(headers, SIGNATURE_HEADER)
        if not MESSAGE_ID_PATTERN.fullmatch(message_id):
            raise MalformedWebhookHeader(ID_HEADER, expected=MESSAGE_ID_EXPECTED, got=message_id)
        if not TIMESTAMP_PATTERN.fullmatch(timestamp_text):
            raise MalformedWebhookHeader(
                TIMESTAMP_HEADER, expected=TIMESTAMP_EXPECTED, got=timestamp_text
            )
        offered = _v1_signatures(signature_list)
        timestamp = int(timestamp_text)
        now = int(self._clock())
        self._check_window(timestamp, now)
        matched = self._matching_secret(offered, message_id, timestamp, body)
        if not self._seen_ids.remember(
            message_id, expires_at=timestamp + self._tolerance_seconds, now=now
        ):
            raise WebhookReplayed(message_id)
        return VerifiedWebhook(message_id, timestamp, body, matched)

    def _check_window(self, timestamp: int, now: int) -> None:
        tolerance = self._tolerance_seconds
        if timestamp < now - tolerance:
            raise WebhookTimestampTooOld(timestamp=timestamp, now=now, tolerance_seconds=tolerance)
        if timestamp > now + tolerance:
            raise WebhookTimestampTooNew(timestamp=timestamp, now=now, tolerance_seconds=tolerance)

    def _matching_secret(
        self, offered: list[bytes], message_id: str, timestamp: int, body: bytes
    ) -> Literal["current", "previous"]:
        for name, secret in self._secrets:
            expected = v1_signature(secret, message_id, timestamp, body).encode("ascii")
            # compare_digest takes as long however many leading characters match, so timing
            # tells a forger nothing about how close a guess came.
            if any(hmac.compare_digest(expected, candidate) for candidate in offered):
                return name
        raise NoMatchingWebhookSignature(offered=len(offered), secrets=len(self._secrets))


def _header(headers: Headers, name: str) -> str:
    """The one value of ``name`` in ``headers``, whatever the case of the names."""
    values = [value for key, value in headers.items() if key.lower() == name]
    if len(values) > 1:
        raise MalformedWebhookHeader(name, expected="given once", got=" | ".join(values))
    if not values or not values[0].strip():
        raise MissingWebhookHeader(name)
    return values[0].strip()


def _v1_signatures(signature_list: str) -> list[bytes]:
    """The v1 entries of the list, whole (``v1,<base64>``); entries of other versions are
    skipped, so a sender may add new schemes beside v1 without breaking receivers."""
    v1_entries: list[bytes] = []
    for entry in signature_list.split():
        version, comma, value = entry.partition(",")
        if not comma or not version or not value:
            raise MalformedWebhookHeader(
                SIGNATURE_HEADER, expected=SIGNATURE_LIST_EXPECTED, got=signature_list
            )
        if version != SIGNATURE_VERSION:
            continue
        # The base64 text is compared, not its decoding: every 32-byte signature has exactly
        # one spelling, so no altered character can pass (a decoder would ignore spare bits).
        if not V1_SIGNATURE_PATTERN.fullmatch(value):
            raise MalformedWebhookHeader(
                SIGNATURE_HEADER, expected=SIGNATURE_LIST_EXPECTED, got=signature_list
            )
        v1_entries.append(entry.encode("ascii"))
    return v1_entries
