"""Checking and writing the output folder: diffs, stale files, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.registry.output import check_output, write_output
from jobforge.registry.render import MARKER_LINE, RegistryError

RENDERED = {
    "index.md": f"{MARKER_LINE}\n# Index\n",
    "a.api.md": f"{MARKER_LINE}\n# a.api\n",
    "registry.json": "{}\n",
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_missing_folder_is_all_missing(tmp_path: Path) -> None:
    result = check_output(tmp_path / "out", RENDERED, "out")
    assert result.missing == ["a.api.md", "index.md", "registry.json"]
    assert not result.up_to_date
    assert "+++ out/index.md (generated)\n" in result.diff
    assert not (tmp_path / "out").exists()


def test_written_output_checks_clean(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    summary = write_output(folder, RENDERED, "out")
    assert summary.written == ("a.api.md", "index.md", "registry.json")
    assert snapshot(folder) == {name: text.encode() for name, text in RENDERED.items()}
    assert check_output(folder, RENDERED, "out").up_to_date
    again = write_output(folder, RENDERED, "out")
    assert (again.written, again.unchanged) == ((), 3)


def test_a_changed_file_shows_a_unified_diff(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_output(folder, RENDERED, "out")
    (folder / "index.md").write_text(f"{MARKER_LINE}\n# Edited\n", encoding="utf-8")
    result = check_output(folder, RENDERED, "out")
    assert result.changed == ["index.md"]
    assert "-# Edited\n" in result.diff
    assert "+# Index\n" in result.diff


def test_stale_files_are_reported_and_generated_ones_removed(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_output(folder, {**RENDERED, "gone.api.md": f"{MARKER_LINE}\n# gone\n"}, "out")
    (folder / ".gitkeep").write_text("")
    result = check_output(folder, RENDERED, "out")
    assert result.stale == ["gone.api.md"]
    summary = write_output(folder, RENDERED, "out")
    assert summary.removed == ("gone.api.md",)
    assert sorted(snapshot(folder)) == [".gitkeep", "a.api.md", "index.md", "registry.json"]


def test_a_foreign_file_stops_the_write_before_anything_changes(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_output(folder, RENDERED, "out")
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(folder)
    changed = {**RENDERED, "index.md": f"{MARKER_LINE}\n# New\n"}
    with pytest.raises(RegistryError, match=r"out/ holds files .*: notes\.txt"):
        write_output(folder, changed, "out")
    assert snapshot(folder) == before
    assert check_output(folder, RENDERED, "out").stale == ["notes.txt"]
