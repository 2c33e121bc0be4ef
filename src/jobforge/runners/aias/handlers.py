"""Registers the AIAS runner's handlers: import this module (``[tool.jobforge]
handler_modules``) to serve ``aias.task.route`` and ``aias.step.run`` jobs."""

from __future__ import annotations

from jobforge import register_handler
from jobforge.runners.aias.names import ROUTE_JOB_TYPE, STEP_JOB_TYPE
from jobforge.runners.aias.route import route_task
from jobforge.runners.aias.step import run_step

register_handler(ROUTE_JOB_TYPE, route_task)
register_handler(STEP_JOB_TYPE, run_step)
