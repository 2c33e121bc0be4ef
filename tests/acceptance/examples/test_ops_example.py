"""examples/integrations/ops_example.py, run as its docs page says: one command, from the
repository root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

from tests.acceptance.examples.support import run_example


def test_the_example_scans_cost_security_and_drift_and_reproduces_each_job() -> None:
    out = run_example("ops")
    for job_type in ("cost_scan", "security_scan", "drift_scan"):
        assert f"autopilot.ops.{job_type} (job " in out
        assert f"Replay of the recorded autopilot.ops.{job_type} job: reproduced" in out
    # The inventory came in two pages; every resource of both was scanned.
    assert "unused for 90 days; stopping or deleting it saves 140.16 USD a month" in out
    assert "ip-spare      network.ip_address is attached to nothing" in out
    assert (
        "6 finding(s): 0 critical, 0 high, 2 medium, 4 low, 0 info; "
        "estimated savings 576.26 USD a month; fail_on medium: FAILED"
    ) in out
    assert "critical security.open_admin_port      vm-bastion" in out
    security = out.split("autopilot.ops.security_scan (job ")[1].split("autopilot.ops.drift")[0]
    assert "public_exposure      vm-bastion" in security
    assert "bucket-site" not in security  # public, and listed in allowed_public
    assert "high     drift.missing                 vol-backups" in out
    assert out.rstrip().endswith("The throwaway database is gone.")
