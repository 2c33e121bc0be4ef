"""examples/integrations/keys_example.py, run as its docs page says: one command, from the
repository root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "integrations" / "keys_example.py"
DEADLINE_SECONDS = 240
KEY_TEXT = re.compile(r"^  (jf_[0-9a-f]{32}_[A-Za-z0-9_-]{43})$", re.MULTILINE)


def test_the_example_issues_checks_rotates_revokes_lists_and_reproduces() -> None:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLE.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "payload (no key in it): ['expires_at', 'key_id', 'name', 'prefix', 'scopes', " in out
    [key_text] = KEY_TEXT.findall(out)  # shown once
    assert out.count(key_text[:35]) == 1
    assert "may enqueue acme.billing.charge, acme.billing.invoice.send\n" in out
    assert "the old key is grace until" in out
    assert "  the old key: refused (revoked)" in out
    assert re.search(r"jf_[0-9a-f]{12}  revoked  billing sync", out)
    assert re.search(r"jf_[0-9a-f]{12}  active   billing sync", out)
    for job_type in ("issue", "rotate", "revoke", "list"):
        assert f"Replay of the recorded jobforge.keys.{job_type} job: reproduced" in out
    assert out.rstrip().endswith("The throwaway database is gone.")
