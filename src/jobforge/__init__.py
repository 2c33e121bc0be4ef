"""JobForge: a PostgreSQL-only job router with replayable executions.

The handler API is imported on first use (PEP 562), so that commands which need none of
it, such as ``jobforge-contracts validate`` in a pre-commit hook, do not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobforge.context import JobContext
    from jobforge.errors import JobForgeError, NonRetryableError
    from jobforge.handlers import HandlerRegistry, default_registry, handler, register_handler

__all__ = [
    "HandlerRegistry",
    "JobContext",
    "JobForgeError",
    "NonRetryableError",
    "default_registry",
    "handler",
    "register_handler",
]
__version__ = "0.1.0"

_HOMES = {
    "JobContext": "jobforge.context",
    "JobForgeError": "jobforge.errors",
    "NonRetryableError": "jobforge.errors",
    "HandlerRegistry": "jobforge.handlers",
    "default_registry": "jobforge.handlers",
    "handler": "jobforge.handlers",
    "register_handler": "jobforge.handlers",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'jobforge' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
