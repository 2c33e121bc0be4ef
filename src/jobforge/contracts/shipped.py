"""Where the contracts and connector metadata of JobForge's own runners are.

The wheel carries them under ``jobforge/_shipped/`` (``contracts/runners/`` and
``connectors/``); a source checkout has them at its root. A worker serving a shipped job
type that its project does not define enforces these, so ``pip install jobforge`` and
``jobforge worker run -m jobforge.runners.readylayer.warm`` check payloads and outputs
and call the connectors' HTTP APIs with no files copied into the project.
"""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parents[1] / "_shipped"
CHECKOUT = Path(__file__).resolve().parents[3]
RUNNERS = Path("contracts") / "runners"


def shipped_root() -> Path | None:
    """The folder holding ``contracts/runners/`` and ``connectors/`` of the shipped
    runners, or None in an installation without them."""
    for root in (PACKAGED, CHECKOUT):
        if (root / RUNNERS).is_dir() and (root / "connectors").is_dir():
            return root
    return None
