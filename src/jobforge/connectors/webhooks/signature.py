"""The Standard Webhooks v1 signature: what is signed, and how ids and timestamps are written.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}`` (the body as the raw bytes
sent), the signature ``v1,`` + base64 of its HMAC-SHA256 under the secret's key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

from jobforge.connectors.webhooks.secret import WebhookSecret

# Seconds since the epoch, for the signer and the verifier; injectable so tests never sleep.
Clock = Callable[[], float]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_VERSION = "v1"
MAX_MESSAGE_ID_CHARACTERS = 256
MESSAGE_ID_BYTES = 18
# Ids cannot hold "." (nor anything outside printable ASCII): with a dot, "a.1" + "2.b" and
# "a" + "1.2.b" would sign the same content, so one signature could vouch for another message.
MESSAGE_ID_PATTERN = re.compile(rf"[\x21-\x2d\x2f-\x7e]{{1,{MAX_MESSAGE_ID_CHARACTERS}}}")
MESSAGE_ID_EXPECTED = (
    f"1 to {MAX_MESSAGE_ID_CHARACTERS} printable ASCII characters other than '.' and space"
)
# Whole seconds since the epoch, written one way only (no sign, no leading zero, no fraction).
TIMESTAMP_PATTERN = re.compile(r"0|[1-9][0-9]{0,11}")
TIMESTAMP_EXPECTED = "whole seconds since 1970-01-01 UTC, in decimal digits"
# A v1 signature is the base64 of 32 bytes: 43 characters and one "=".
V1_SIGNATURE_PATTERN = re.compile(r"[A-Za-z0-9+/]{43}=")


def new_message_id() -> str:
    """A fresh webhook id (``msg_`` + 24 URL-safe characters). Keep it for the retries of
    the same message: receivers tell a retry from a new message by the id."""
    return "msg_" + secrets.token_urlsafe(MESSAGE_ID_BYTES)


def v1_signature(secret: WebhookSecret, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``{message_id}.{timestamp}.{body}``."""
    content = f"{message_id}.{timestamp}.".encode("ascii") + body
    digest = hmac.new(secret.key, content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"
