"""Why a webhook was refused, one class per thing the receiver or the operator can act on.

No message names a secret or the signature the receiver expected: an error text that
carried the expected signature would turn every refused delivery into a signing oracle.
"""

from __future__ import annotations

from jobforge.errors import ConfigurationError, JobForgeError

MAX_SHOWN_CHARACTERS = 80


def shown(value: str) -> str:
    """``value`` quoted for a message, cut to a readable length (header values are untrusted)."""
    if len(value) > MAX_SHOWN_CHARACTERS:
        return repr(value[:MAX_SHOWN_CHARACTERS]) + "…"
    return repr(value)


class InvalidWebhookSecret(ConfigurationError):
    """A webhook secret is not ``whsec_`` followed by the base64 of 24 to 64 bytes."""


class WebhookVerificationError(JobForgeError):
    """A delivery is refused: its headers are missing or malformed, its timestamp is
    outside the tolerance window, no signature matches, or it was seen before."""

    error_kind = "webhook_verification_failed"


class MissingWebhookHeader(WebhookVerificationError):
    error_kind = "missing_header"

    def __init__(self, header: str) -> None:
        super().__init__(f"the {header} header is missing or empty")
        self.header = header


class MalformedWebhookHeader(WebhookVerificationError):
    error_kind = "malformed_header"

    def __init__(self, header: str, *, expected: str, got: str) -> None:
        super().__init__(f"the {header} header must be {expected}; got {shown(got)}")
        self.header = header
        self.expected = expected
        self.got = got


class WebhookTimestampOutsideTolerance(WebhookVerificationError):
    """The timestamp is further from the receiver's clock than the tolerance allows."""

    error_kind = "timestamp_outside_tolerance"
    direction = "away from"

    def __init__(self, *, timestamp: int, now: int, tolerance_seconds: int) -> None:
        distance = abs(now - timestamp)
        super().__init__(
            f"the webhook-timestamp {timestamp} is {distance} s {self.direction} "
            f"the receiver's clock ({now}); at most {tolerance_seconds} s is accepted"
        )
        self.timestamp = timestamp
        self.now = now
        self.tolerance_seconds = tolerance_seconds


class WebhookTimestampTooOld(WebhookTimestampOutsideTolerance):
    error_kind = "timestamp_too_old"
    direction = "behind"


class WebhookTimestampTooNew(WebhookTimestampOutsideTolerance):
    error_kind = "timestamp_too_new"
    direction = "ahead of"


class NoMatchingWebhookSignature(WebhookVerificationError):
    error_kind = "no_matching_signature"

    def __init__(self, *, offered: int, secrets: int) -> None:
        super().__init__(
            f"none of the {offered} v1 signature(s) in webhook-signature matches "
            f"the body under any of the receiver's {secrets} active secret(s)"
        )
        self.offered = offered
        self.secrets = secrets


class WebhookReplayed(WebhookVerificationError):
    """A correctly signed delivery whose webhook-id was already accepted in the window."""

    error_kind = "replayed"

    def __init__(self, message_id: str) -> None:
        super().__init__(f"webhook-id {shown(message_id)} was already accepted")
        self.message_id = message_id
