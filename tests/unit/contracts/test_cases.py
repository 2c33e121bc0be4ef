"""Folders of example files, positive and negative, each negative with its exact report.

``cases/<kind>/negative/<case>.<ext>`` is placed where a file of that kind lives in a
project and validated alone; ``<case>.txt`` holds the expected lines, without the path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jobforge.contracts.checks.validation import validate
from jobforge.contracts.config import load_config
from jobforge.contracts.problems.reporters import render_text

CASES = Path(__file__).parent / "cases"


def _cases(polarity: str) -> list[Path]:
    return sorted(
        path for path in CASES.glob(f"*/{polarity}/*") if path.suffix in {".json", ".yaml"}
    )


def _place(case: Path, root: Path) -> Path:
    kind = case.parent.parent.name
    stem = case.name.removesuffix(case.suffix)
    targets = {
        "connector": root / "connectors" / stem / "metadata.json",
        "runner": root / "contracts" / "runners" / f"{stem}.yaml",
        "golden": root / "goldens" / "some.runner" / f"{stem}.yaml",
        "removals": root / "contracts" / "removed.yaml",
    }
    target = targets[kind]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(case, target)
    return target


def _report_lines(case: Path, root: Path) -> tuple[str, list[str]]:
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    target = _place(case, root)
    result = validate(load_config(root), [target])
    display = target.relative_to(root).as_posix()
    lines = render_text(result).splitlines()[:-1]
    assert all(line.startswith(display + ":") for line in lines)
    return display, [line.removeprefix(display + ":") for line in lines]


def test_there_are_cases_of_each_kind() -> None:
    for kind in ("connector", "runner", "golden", "removals"):
        assert list(CASES.glob(f"{kind}/positive/*"))
        assert list(CASES.glob(f"{kind}/negative/*.txt"))


@pytest.mark.parametrize("case", _cases("positive"), ids=lambda p: p.relative_to(CASES).as_posix())
def test_positive_case_passes(case: Path, tmp_path: Path) -> None:
    _, lines = _report_lines(case, tmp_path)
    assert lines == []


@pytest.mark.parametrize("case", _cases("negative"), ids=lambda p: p.relative_to(CASES).as_posix())
def test_negative_case_reports_exactly(case: Path, tmp_path: Path) -> None:
    expected = case.with_suffix(".txt").read_text(encoding="utf-8").splitlines()
    _, lines = _report_lines(case, tmp_path)
    assert lines == expected
