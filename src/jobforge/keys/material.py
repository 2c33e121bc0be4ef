"""API key text: making a new key and reading a presented one.

A key reads ``jf_<key id>_<secret>``: ``jf_``, the key's id (a UUID as 32 lower-case hex
digits), ``_``, and 32 random bytes (``secrets.token_bytes``) in unpadded base64url. The
id says which stored hash to check; the secret is what only the key's holder knows. The
id and the display prefix (``jf_`` and the id's first 12 hex digits) are not secrets.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from dataclasses import dataclass, field

from jobforge.keys.errors import MalformedApiKey
from jobforge.runners.keys.names import KEY_TEXT_PREFIX, PREFIX_KEY_ID_DIGITS

SECRET_BYTES = 32
_SECRET_CHARACTERS = 43  # unpadded base64url of 32 bytes
_KEY_TEXT = re.compile(r"jf_([0-9a-f]{32})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True, slots=True)
class PlaintextKey:
    """A key's text with its id. The text never appears in ``repr`` (logs, tracebacks)."""

    key_id: uuid.UUID
    text: str = field(repr=False)

    @property
    def prefix(self) -> str:
        return display_prefix(self.key_id)


def display_prefix(key_id: uuid.UUID) -> str:
    """What lists show of a key: ``jf_`` and the first 12 hex digits of its id."""
    return KEY_TEXT_PREFIX + key_id.hex[:PREFIX_KEY_ID_DIGITS]


def new_key() -> PlaintextKey:
    """A new key: a random id and 32 bytes from the operating system's CSPRNG."""
    key_id = uuid.uuid4()
    secret = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).rstrip(b"=").decode()
    return PlaintextKey(key_id, f"{KEY_TEXT_PREFIX}{key_id.hex}_{secret}")


def parse_key(text: str) -> PlaintextKey:
    """The key ``text`` spells, or MalformedApiKey (whose message does not repeat it)."""
    match = _KEY_TEXT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise MalformedApiKey(
            "not a JobForge API key: expected jf_, 32 hex digits, _ and 43 base64url characters"
        )
    secret = match.group(2)
    # Unpadded base64url of 32 bytes leaves 2 spare bits in the last character: only one
    # spelling (the one new_key writes, spare bits zero) is the key.
    if base64.urlsafe_b64encode(base64.urlsafe_b64decode(secret + "=")).rstrip(b"=") != (
        secret.encode()
    ):
        raise MalformedApiKey("not a JobForge API key: its secret is not canonical base64url")
    return PlaintextKey(uuid.UUID(hex=match.group(1)), text)
