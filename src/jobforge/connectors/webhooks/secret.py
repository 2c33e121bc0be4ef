"""Webhook secrets: ``whsec_`` + base64 of the key bytes, as the Standard Webhooks spec writes them.

A secret never appears in a ``repr``, a ``str`` or an error message; only ``reveal()`` gives
the text back, for showing a freshly generated secret once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets

from jobforge.connectors.webhooks.errors import InvalidWebhookSecret

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# The spec's advice: keys of 24 to 64 bytes. New secrets get 32.
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
# HMAC-SHA256 pads a key to its 64-byte block with zero bytes, so keys that differ only by
# trailing zeros sign alike: secrets are compared (and fingerprinted) as padded.
HMAC_BLOCK_BYTES = 64
GENERATED_SECRET_BYTES = 32
FINGERPRINT_HEX_CHARACTERS = 12
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_EXPECTED = (
    f"{SECRET_PREFIX!r} followed by the base64 of {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes"
)


class WebhookSecret:
    """One HMAC-SHA256 key for signing or verifying webhooks."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
            raise InvalidWebhookSecret(
                f"a webhook secret must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes; "
                f"this one holds {len(key)}"
            )
        self._key = key

    @classmethod
    def parse(cls, text: str) -> WebhookSecret:
        """Read ``whsec_<base64>``; the message of a refusal never repeats the text."""
        encoded = text.removeprefix(SECRET_PREFIX)
        if encoded == text or not _BASE64.fullmatch(encoded):
            raise InvalidWebhookSecret(f"a webhook secret must be {_EXPECTED}")
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except binascii.Error:
            raise InvalidWebhookSecret(f"a webhook secret must be {_EXPECTED}") from None
        return cls(key)

    @classmethod
    def generate(cls) -> WebhookSecret:
        return cls(secrets.token_bytes(GENERATED_SECRET_BYTES))

    @property
    def key(self) -> bytes:
        return self._key

    @property
    def fingerprint(self) -> str:
        """A short, one-way name for the secret, to tell secrets apart in logs and config."""
        return hashlib.sha256(b"jobforge-webhook-secret:" + self._signing_key()).hexdigest()[
            :FINGERPRINT_HEX_CHARACTERS
        ]

    def reveal(self) -> str:
        """The secret as text (``whsec_<base64>``), for handing it to the other side once."""
        return SECRET_PREFIX + base64.b64encode(self._key).decode("ascii")

    def __repr__(self) -> str:
        return f"WebhookSecret(fingerprint={self.fingerprint!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WebhookSecret):
            return NotImplemented
        return secrets.compare_digest(self._signing_key(), other._signing_key())

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def _signing_key(self) -> bytes:
        return self._key.ljust(HMAC_BLOCK_BYTES, b"\0")
