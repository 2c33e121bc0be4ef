"""Signed webhooks in the Standard Webhooks format (https://www.standardwebhooks.com).

``WebhookSigner`` puts ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` on
an outbound delivery; ``WebhookVerifier`` checks them on the receiving side (the tolerance
window, the signature under the current or previous secret, then replay). docs/SECURITY.md
("Signed webhooks") has the format, a worked example and the rotation steps.
"""

from __future__ import annotations

from jobforge.connectors.webhooks.errors import (
    InvalidWebhookSecret,
    MalformedWebhookHeader,
    MissingWebhookHeader,
    NoMatchingWebhookSignature,
    WebhookReplayed,
    WebhookTimestampOutsideTolerance,
    WebhookTimestampTooNew,
    WebhookTimestampTooOld,
    WebhookVerificationError,
)
from jobforge.connectors.webhooks.replay import InMemorySeenMessageIds, SeenMessageIds
from jobforge.connectors.webhooks.secret import WebhookSecret
from jobforge.connectors.webhooks.signature import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    new_message_id,
)
from jobforge.connectors.webhooks.signing import WebhookSigner
from jobforge.connectors.webhooks.verification import (
    DEFAULT_TOLERANCE_SECONDS,
    VerifiedWebhook,
    WebhookVerifier,
)

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "InMemorySeenMessageIds",
    "InvalidWebhookSecret",
    "MalformedWebhookHeader",
    "MissingWebhookHeader",
    "NoMatchingWebhookSignature",
    "SeenMessageIds",
    "VerifiedWebhook",
    "WebhookReplayed",
    "WebhookSecret",
    "WebhookSigner",
    "WebhookTimestampOutsideTolerance",
    "WebhookTimestampTooNew",
    "WebhookTimestampTooOld",
    "WebhookVerificationError",
    "WebhookVerifier",
    "new_message_id",
]
