"""What every integration example shares: reading a contract file into its model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobforge.contracts.loading.loader import load_file

ROOT = Path(__file__).resolve().parents[2]


def load_model(path: Path, model: type[Any]) -> Any:
    """The contract file at ``path`` as ``model``; a readable exit if it does not load."""
    loaded = load_file(path, str(path.relative_to(ROOT)))
    if not loaded.ok:
        problems = "\n".join(f"  {problem}" for problem in loaded.problems)
        raise SystemExit(f"{path.relative_to(ROOT)} does not load:\n{problems}")
    return model.model_validate(loaded.data)
