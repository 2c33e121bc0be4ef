"""`--update`: write actual outputs back into golden files, keeping everything else."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from jobforge.errors import JobForgeError


def _round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long strings
    return yaml


def _plain(value: Any) -> Any:  # noqa: PLR0911 - one return per YAML node kind
    """A ruamel round-trip value as plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def write_expected_output(path: Path, actual_output: Any) -> bool:
    """Replace ``expected_output`` in the golden at ``path``; True if the file changed.

    Comments, key order, quoting and the formatting of every other key are kept (ruamel
    round trip). The file is replaced atomically, so an interrupted update loses nothing.
    """
    yaml = _round_trip_yaml()
    original = path.read_text(encoding="utf-8")
    document = yaml.load(original)
    if not hasattr(document, "__setitem__") or "expected_output" not in document:
        raise JobForgeError(f"{path}: no top-level expected_output key to update")
    if _plain(document["expected_output"]) == actual_output:
        return False  # already right: keep the file byte for byte
    document["expected_output"] = actual_output
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    updated = buffer.getvalue()
    if updated == original:
        return False
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(updated)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True
