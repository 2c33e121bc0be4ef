from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.errors import JobForgeError
from jobforge.replay.update import write_expected_output

GOLDEN = """\
# A golden for the scan runner.
name: scans hot assets   # the case name
job_type: autopilot.ops.scan
tenant: 00000000-0000-4000-8000-000000000001
input:
  assets: [h1, c2]   # flow style kept
expected_output:
  hot: [h0]
deterministic: true
"""


def test_update_replaces_only_the_expected_output(tmp_path: Path) -> None:
    golden = tmp_path / "case.yaml"
    golden.write_text(GOLDEN, encoding="utf-8")
    assert write_expected_output(golden, {"hot": ["h1"], "count": 1}) is True
    text = golden.read_text(encoding="utf-8")
    assert "# A golden for the scan runner." in text
    assert "name: scans hot assets   # the case name" in text
    assert "  assets: [h1, c2]   # flow style kept" in text
    assert "deterministic: true" in text
    before = GOLDEN.partition("expected_output:")[0]
    assert text.startswith(before)
    assert "h0" not in text
    assert text.endswith("deterministic: true\n")


def test_update_with_the_same_output_leaves_the_file_alone(tmp_path: Path) -> None:
    golden = tmp_path / "case.yaml"
    golden.write_text(GOLDEN, encoding="utf-8")
    mtime = golden.stat().st_mtime_ns
    assert write_expected_output(golden, {"hot": ["h0"]}) is False
    assert golden.read_text(encoding="utf-8") == GOLDEN
    assert golden.stat().st_mtime_ns == mtime


def test_update_refuses_a_file_without_expected_output(tmp_path: Path) -> None:
    golden = tmp_path / "case.yaml"
    golden.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(JobForgeError, match="no top-level expected_output"):
        write_expected_output(golden, {})
    assert golden.read_text(encoding="utf-8") == "name: x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]
