"""The ways a keys job fails on purpose, each with the error kind the job records.

None is retried: the same request would fail the same way again.
"""

from __future__ import annotations

from jobforge.errors import NonRetryableError


class KeysJobError(NonRetryableError):
    """Root of the keys runner's refusals; ``error_kind`` is what the worker records."""

    error_kind = "keys_error"


class InvalidKeyRequest(KeysJobError):
    """The payload breaks a rule of its job type (the input schema states most of them;
    these checks hold when the worker does not enforce contracts too)."""

    error_kind = "invalid_key_request"


class InvalidExpiry(KeysJobError):
    """A key would expire at or before the job runs."""

    error_kind = "invalid_expiry"


class KeyNotFound(KeysJobError):
    """No key with that id belongs to the job's tenant."""

    error_kind = "key_not_found"


class KeyNotRotatable(KeysJobError):
    """The key is revoked, expired, or already replaced by another key."""

    error_kind = "key_not_rotatable"


class InvalidStoreResponse(KeysJobError):
    """The ``jobforge.keys.store`` connector answered with something unexpected."""

    error_kind = "invalid_store_response"
