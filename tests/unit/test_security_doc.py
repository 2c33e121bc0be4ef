"""docs/SECURITY.md's threat table names the test proving each row: those tests exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECURITY = ROOT / "docs" / "SECURITY.md"
# `file.py::test_name`, or a bare `test_name` continuing the previous file in a cell.
REFERENCE = re.compile(r"`(?:(?P<file>[\w/]+\.py)(?:::(?P<test>\w+))?|(?P<bare>test_\w+))`")


def functions_defined_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def resolve(name: str) -> Path:
    candidates = [ROOT / name, ROOT / "tests" / name, ROOT / "tests" / "security" / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise AssertionError(f"docs/SECURITY.md names {name}, which does not exist")


def test_every_test_the_threat_table_names_exists() -> None:
    rows = [line for line in SECURITY.read_text(encoding="utf-8").splitlines() if "test_" in line]
    checked = 0
    for row in rows:
        current: Path | None = None
        for match in REFERENCE.finditer(row):
            if match["file"]:
                current = resolve(match["file"])
                name = match["test"]
            else:
                name = match["bare"]
            if name is None:
                continue
            assert current is not None, f"{name} follows no file in: {row}"
            assert name in functions_defined_in(current), f"{current.name} has no {name}"
            checked += 1
    assert checked >= 20
