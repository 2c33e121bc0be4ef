"""The names the AIAS runner answers to: its job types, connectors and operations."""

from __future__ import annotations

RUNNER_ID = "aias.router"
ROUTE_JOB_TYPE = "aias.task.route"
STEP_JOB_TYPE = "aias.step.run"
JOB_TYPES = (ROUTE_JOB_TYPE, STEP_JOB_TYPE)

REGISTRY_CONNECTOR_ID = "aias.registry"
LIST_TARGETS = "list_targets"
MODEL_CONNECTOR_ID = "aias.model"
RUN_STEP = "run_step"

# Targets a step may fall back to after its chosen one, in rank order.
MAX_FALLBACKS = 2
# The longest chain of steps one task may have (step indexes 0 to MAX_STEPS - 1).
MAX_STEPS = 32
