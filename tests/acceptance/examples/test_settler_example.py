"""examples/integrations/settler_example.py, run as its docs page says: one command, from
the repository root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

import re

from tests.acceptance.examples.support import run_example

KEY = r"settler:msa-2025-0042:(renewal|expiry):\d{4}-\d\d-\d\dT00:00:00Z"


def test_the_example_moves_a_contract_schedules_reminders_once_and_reproduces() -> None:
    out = run_example("settler")
    assert "send (settler.contract.advance -> sent): succeeded: draft -> sent, version 2" in out
    assert "sign (settler.contract.advance -> signed): succeeded: sent -> signed, version 3" in out
    assert "activate (settler.contract.advance -> active): succeeded: signed -> active" in out
    assert (
        "back to draft (settler.contract.advance -> draft): dead: illegal_transition: contract "
        "msa-2025-0042: illegal transition active -> draft; from active it may go to active, "
        "expired or terminated"
    ) in out
    assert "activate again (settler.contract.advance -> active): succeeded: unchanged" in out
    enqueued = re.findall(rf"follow-up ({KEY}): enqueued\n", out)
    again = re.findall(rf"follow-up ({KEY}): already enqueued\n", out)
    assert [key for key, _ in enqueued] == [key for key, _ in again]
    assert [kind for _, kind in enqueued] == ["renewal", "expiry"]
    assert "settler.contract.remind jobs waiting in the queue: 2" in out
    assert "msa-2025-0042:v4: signed -> active at" in out
    assert "Replay of the recorded activation job: reproduced" in out
    assert out.rstrip().endswith("The throwaway database is gone.")
