"""The names the Settler runner answers to: its job types, connector and operations."""

from __future__ import annotations

RUNNER_ID = "settler.contracts"
ADVANCE_JOB_TYPE = "settler.contract.advance"
REMIND_JOB_TYPE = "settler.contract.remind"
JOB_TYPES = (ADVANCE_JOB_TYPE, REMIND_JOB_TYPE)

STORE_CONNECTOR_ID = "settler.store"
GET_CONTRACT = "get_contract"
SET_STATE = "set_state"
APPEND_HISTORY = "append_history"
STORE_OPERATIONS = (GET_CONTRACT, SET_STATE, APPEND_HISTORY)

# The kinds of settler.contract.remind job an activation schedules.
RENEWAL = "renewal"
EXPIRY = "expiry"
REMINDER_KINDS = (RENEWAL, EXPIRY)
