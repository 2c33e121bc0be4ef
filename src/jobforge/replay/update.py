"""`--update`: write actual outputs back into golden files, changing nothing else.

A golden is a reviewed file, so an update must read like the edit a person would make:
only the values of ``expected_output`` that fail replay's judgement are rewritten, each in
its own span of text (``yaml_patch``); every other byte stays. The document is never
re-dumped. Before the file is replaced, the new text is read back: ``expected_output`` must
now pass and every other key must hold what it held; otherwise nothing is written.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

from jobforge.errors import JobForgeError
from jobforge.replay.compare import is_subset
from jobforge.replay.golden_update.yaml_edits import Edit, PatchRefused, apply_edits
from jobforge.replay.golden_update.yaml_patch import EXPECTED_OUTPUT, plan_expected_output
from jobforge.replay.golden_update.yaml_text import column
from jobforge.replay.golden_update.yaml_tree import parse_tree, plain_data


def write_expected_output(path: Path, actual_output: Any) -> bool:
    """Make ``expected_output`` in the golden at ``path`` pass against ``actual_output``.

    Contained unless the golden says ``exact: true`` (then equal), as replay judges it;
    keys the golden leaves out stay out. True if the file changed. The file is replaced
    atomically, with its permissions, so an interrupted update loses nothing.
    """
    original = _read(path)
    document = _load(path, original)
    exact = document.get("exact") is True
    if EXPECTED_OUTPUT in document and _passes(document[EXPECTED_OUTPUT], actual_output, exact):
        return False  # already right: keep the file byte for byte
    try:
        edits = plan_expected_output(parse_tree(original), actual_output, exact=exact)
        if "\r\n" in original:  # new text is written with \n; use the file's line breaks
            edits = [_with_crlf(edit) for edit in edits]
        updated = apply_edits(original, edits)
    except PatchRefused as refused:
        raise JobForgeError(
            f"{_location(path, original, refused.offset)}: cannot update expected_output: "
            f"{refused.message}"
        ) from None
    if updated == original:
        return False
    _verify(path, document, updated, actual_output, exact)
    _replace_file(path, updated)
    return True


def _with_crlf(edit: Edit) -> Edit:
    return Edit(edit.start, edit.end, re.sub(r"(?<!\r)\n", "\r\n", edit.replacement))


def _passes(expected: Any, actual: Any, exact: bool) -> bool:
    return bool(expected == actual) if exact else is_subset(expected, actual)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise JobForgeError(f"{path}: cannot read the golden: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise JobForgeError(f"{path}: byte {exc.start} is not UTF-8") from None


def _load(path: Path, text: str) -> dict[Any, Any]:
    from ruamel.yaml import YAML  # noqa: PLC0415 - YAML costs ~50 ms to import
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # noqa: PLC0415

    try:
        loaded = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        raise JobForgeError(f"{where}: cannot update a golden that is not valid YAML: "
                            f"{exc.problem or exc.context}") from None  # fmt: skip
    except YAMLError as exc:
        raise JobForgeError(
            f"{path}: cannot update a golden that is not valid YAML: {exc}"
        ) from None
    document = plain_data(loaded)
    if not isinstance(document, dict):
        raise JobForgeError(f"{path}: expected a mapping at the top level of the golden")
    return document


def _verify(path: Path, before: dict[Any, Any], updated: str, actual: Any, exact: bool) -> None:
    """Read the new text back: expected_output passes, everything else is as it was."""
    try:
        after = _load(path, updated)
    except JobForgeError:
        after = None
    if after is None or _others(after) != _others(before):
        passes = False
    else:
        passes = _passes(after.get(EXPECTED_OUTPUT), actual, exact)
    if not passes:
        raise JobForgeError(
            f"{path}: cannot update expected_output in place without changing something "
            "else (read back, the file would not hold the output, or another key would "
            "change); the file is left as it was, so edit expected_output by hand"
        )


def _others(document: dict[Any, Any]) -> str:
    """Every key but expected_output, as text: repr tells 1, 1.0 and true apart (== does
    not) and keeps the order of keys."""
    return repr([(key, value) for key, value in document.items() if key != EXPECTED_OUTPUT])


def _location(path: Path, text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{path}:{line}:{column(text, offset) + 1}"


def _replace_file(path: Path, text: str) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
