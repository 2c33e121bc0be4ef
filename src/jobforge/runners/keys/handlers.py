"""Registers the keys runner's handlers: import this module (``[tool.jobforge]
handler_modules``) to serve ``jobforge.keys.*`` jobs."""

from __future__ import annotations

from jobforge import register_handler
from jobforge.runners.keys.issue import issue_key
from jobforge.runners.keys.listing import list_keys
from jobforge.runners.keys.names import (
    ISSUE_JOB_TYPE,
    LIST_JOB_TYPE,
    REVOKE_JOB_TYPE,
    ROTATE_JOB_TYPE,
)
from jobforge.runners.keys.revoke import revoke_key
from jobforge.runners.keys.rotate import rotate_key

register_handler(ISSUE_JOB_TYPE, issue_key)
register_handler(LIST_JOB_TYPE, list_keys)
register_handler(ROTATE_JOB_TYPE, rotate_key)
register_handler(REVOKE_JOB_TYPE, revoke_key)
