"""JobForge: a PostgreSQL-only job router with replayable executions."""

from __future__ import annotations

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
