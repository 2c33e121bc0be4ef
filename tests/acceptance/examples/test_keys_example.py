"""examples/integrations/keys_example.py, run as its docs page says: one command, from the
repository root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

import re

from tests.acceptance.examples.support import run_example

KEY_TEXT = re.compile(r"^  (jf_[0-9a-f]{32}_[A-Za-z0-9_-]{43})$", re.MULTILINE)


def test_the_example_issues_checks_rotates_revokes_lists_and_reproduces() -> None:
    out = run_example("keys")
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
