"""The names the keys runner answers to: its job types, connector and operations.

``jobforge.keys`` (the library the CLI and the ingress use) imports them from here, so a
job type is spelled in one place.
"""

from __future__ import annotations

RUNNER_ID = "jobforge.keys"
ISSUE_JOB_TYPE = "jobforge.keys.issue"
LIST_JOB_TYPE = "jobforge.keys.list"
ROTATE_JOB_TYPE = "jobforge.keys.rotate"
REVOKE_JOB_TYPE = "jobforge.keys.revoke"
JOB_TYPES = (ISSUE_JOB_TYPE, LIST_JOB_TYPE, ROTATE_JOB_TYPE, REVOKE_JOB_TYPE)

STORE_CONNECTOR_ID = "jobforge.keys.store"
INSERT_KEY = "insert_key"
LIST_KEYS = "list_keys"
ROTATE_KEY = "rotate"
REVOKE_KEY = "revoke"
STORE_OPERATIONS = (INSERT_KEY, LIST_KEYS, ROTATE_KEY, REVOKE_KEY)

# The start of every key's text, and of its display prefix.
KEY_TEXT_PREFIX = "jf_"
# Hex digits of the key id in the display prefix ("jf_" + 12 hex digits).
PREFIX_KEY_ID_DIGITS = 12
# A rotation keeps the old key valid for at most this long.
MAX_GRACE_SECONDS = 30 * 24 * 3600
