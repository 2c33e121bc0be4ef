"""Per-tenant API keys: made and shown here, hashed, kept by the keys runner's jobs.

* ``jobs``: new keys and the jobs that store them (``prepare_issue``, ``prepare_rotation``);
* ``operations``: running those jobs and waiting for them (``issue_key``, ``rotate_key``,
  ``revoke_key``, ``list_keys``), what ``jobforge keys`` calls;
* ``authentication`` and ``cache``: checking a presented key (``verify_api_key``,
  ``VerificationCache``), what the HTTP ingress calls;
* ``scopes``: what a key may do (``scope_allows``);
* ``store_transport``: the ``jobforge.keys.store`` connector's live transport.

docs/integrations/keys.md tells the whole story; docs/SECURITY.md the threats.
"""

from __future__ import annotations

from jobforge.keys.authentication import (
    AuthenticatedKey,
    DatabaseKeyLookup,
    KeyRecord,
    verify_api_key,
)
from jobforge.keys.cache import VerificationCache
from jobforge.keys.errors import (
    ApiKeyRejected,
    InvalidScope,
    KeyJobFailed,
    KeyJobTimeout,
    MalformedApiKey,
)
from jobforge.keys.hashing import DEFAULT_PARAMETERS, ScryptParameters
from jobforge.keys.jobs import KeysJob, list_job, prepare_issue, prepare_rotation, revoke_job
from jobforge.keys.operations import (
    IssuedKey,
    RotatedKey,
    issue_key,
    list_keys,
    revoke_key,
    rotate_key,
)
from jobforge.keys.scopes import ScopeAction, scope_allows, validate_scopes

__all__ = [
    "DEFAULT_PARAMETERS",
    "ApiKeyRejected",
    "AuthenticatedKey",
    "DatabaseKeyLookup",
    "InvalidScope",
    "IssuedKey",
    "KeyJobFailed",
    "KeyJobTimeout",
    "KeyRecord",
    "KeysJob",
    "MalformedApiKey",
    "RotatedKey",
    "ScopeAction",
    "ScryptParameters",
    "VerificationCache",
    "issue_key",
    "list_job",
    "list_keys",
    "prepare_issue",
    "prepare_rotation",
    "revoke_job",
    "revoke_key",
    "rotate_key",
    "scope_allows",
    "validate_scopes",
    "verify_api_key",
]
