"""The environment variables that configure a connector on a worker share one prefix."""

from __future__ import annotations

import re

ENV_PREFIX = "JOBFORGE_"


def env_variable_prefix(connector_id: str) -> str:
    """``readylayer.cdn`` -> ``JOBFORGE_READYLAYER_CDN``."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]+", "_", connector_id.upper()).strip("_")
