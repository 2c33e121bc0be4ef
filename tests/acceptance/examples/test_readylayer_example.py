"""examples/integrations/readylayer_example.py, run as its docs page says: one command, from
the repository root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

from tests.acceptance.examples.support import run_example


def test_the_example_warms_judges_and_reproduces_both_jobs() -> None:
    out = run_example("readylayer")
    assert "readylayer.cache.warm (job " in out
    assert "batch size 10 (the connector's burst size), 2 batch(es) starting at [0, 800] ms" in out
    assert "12 warmed, 2 failed, 2 skipped of 16" in out
    assert "skipped  https://partner.example.net/feed" in out
    assert "resize            {'width': 2400, 'height': 1350}" in out
    assert "Replay of the recorded readylayer.cache.warm job: reproduced" in out
    assert "Replay of the recorded readylayer.assets.optimize job: reproduced" in out
    assert out.rstrip().endswith("The throwaway database is gone.")
