"""The operator dashboard under /ui: queues, jobs, dead letters, one job's whole story,
and requeue/cancel behind a confirmation (docs/RUNBOOK.md, "Dashboard")."""

from __future__ import annotations

from jobforge.dashboard.app import MOUNT_PATH, create_dashboard_app, dashboard_mounts
from jobforge.dashboard.settings import DashboardSettings

__all__ = ["MOUNT_PATH", "DashboardSettings", "create_dashboard_app", "dashboard_mounts"]
