"""examples/integrations/truthcore_example.py, run as its docs page says: one command, from
the repository root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

from tests.acceptance.examples.support import run_example


def test_the_example_verifies_fails_and_reproduces() -> None:
    out = run_example("truthcore")
    assert "verdict FAIL: 6 records from dataset, 4 of 7 rules failed, 4 violation(s)" in out
    assert "INV-0004 /total: expected 250.0 (the sum of /net, /vat), got 250.5" in out
    assert 'INV-0005 /due_on: expected >= "2024-04-02" (the value of /issued_on)' in out
    assert "INV-0006 /void_reason: expected present and not null when /status" in out
    assert "verdict PASS: 2 records from inline, 0 of 7 rules failed, 0 violation(s)" in out
    assert "failed: connector_not_found: truthcore.source.fetch_records: no dataset" in out
    assert "Replay of the recorded dataset invoices-2024-q2 job: reproduced" in out
    assert "Replay of the recorded inline records job: reproduced" in out
    assert out.rstrip().endswith("The throwaway database is gone.")
