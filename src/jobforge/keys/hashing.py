"""Hashing a key for storage and checking a presented key against the stored hash.

scrypt (``hashlib.scrypt``, OpenSSL's) with a random 16-byte salt per key and the cost
parameters stored beside the hash, so new keys can get higher costs while old ones still
verify. The default, N = 2**14, r = 8, p = 1 (16 MiB of memory), costs tens of
milliseconds per check (docs/integrations/keys.md has the figures): a key holds 256
random bits, so the cost guards stored hashes against nothing a guess could reach anyway;
it is there should the secrets ever be weaker, and it is why the ingress caches
successful checks. Hashes are compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from jobforge.errors import InvalidArgument

KDF = "scrypt"
HASH_BYTES = 32
SALT_BYTES = 16
MIN_N, MAX_N = 2**14, 2**18
MAX_R, MAX_P = 16, 4
# OpenSSL refuses scrypt parameters needing more memory than maxmem; this is the need
# (128 * r * (N + p + 2) bytes) plus room for its bookkeeping.
_MAXMEM_SLACK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ScryptParameters:
    """scrypt's cost: N (a power of two, 2**14 to 2**18), r (1 to 16), p (1 to 4)."""

    n: int = 2**14
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not (MIN_N <= self.n <= MAX_N and self.n & (self.n - 1) == 0):
            raise InvalidArgument(f"scrypt N: expected a power of two from {MIN_N} to {MAX_N}")
        if not 1 <= self.r <= MAX_R:
            raise InvalidArgument(f"scrypt r: expected 1 to {MAX_R}, got {self.r}")
        if not 1 <= self.p <= MAX_P:
            raise InvalidArgument(f"scrypt p: expected 1 to {MAX_P}, got {self.p}")

    @property
    def memory_bytes(self) -> int:
        return 128 * self.r * (self.n + self.p + 2)


DEFAULT_PARAMETERS = ScryptParameters()


@dataclass(frozen=True, slots=True)
class KeyHash:
    """What is stored of a key: scrypt(key text, salt, parameters)."""

    parameters: ScryptParameters
    salt: bytes
    digest: bytes

    def to_json(self) -> dict[str, Any]:
        """The form a keys job's payload carries (``verifier``): hex strings."""
        return {
            "kdf": KDF,
            "n": self.parameters.n,
            "r": self.parameters.r,
            "p": self.parameters.p,
            "salt": self.salt.hex(),
            "hash": self.digest.hex(),
        }


def hash_key(text: str, parameters: ScryptParameters = DEFAULT_PARAMETERS) -> KeyHash:
    """Hash ``text`` (a whole key, id included) under a new random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    return KeyHash(parameters, salt, _scrypt(text, salt, parameters))


def key_matches(text: str, stored: KeyHash) -> bool:
    """Whether ``text`` hashes to ``stored`` (compared in constant time)."""
    return hmac.compare_digest(_scrypt(text, stored.salt, stored.parameters), stored.digest)


def _scrypt(text: str, salt: bytes, parameters: ScryptParameters) -> bytes:
    return hashlib.scrypt(
        text.encode("utf-8"),
        salt=salt,
        n=parameters.n,
        r=parameters.r,
        p=parameters.p,
        maxmem=parameters.memory_bytes + _MAXMEM_SLACK_BYTES,
        dklen=HASH_BYTES,
    )
