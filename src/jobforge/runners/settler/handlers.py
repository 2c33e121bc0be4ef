"""Registers the Settler runner's handlers: import this module (``[tool.jobforge]
handler_modules``) to serve ``settler.contract.*`` jobs."""

from __future__ import annotations

from jobforge import register_handler
from jobforge.runners.settler.advance import advance_contract
from jobforge.runners.settler.names import ADVANCE_JOB_TYPE, REMIND_JOB_TYPE
from jobforge.runners.settler.remind import remind_contract

register_handler(ADVANCE_JOB_TYPE, advance_contract)
register_handler(REMIND_JOB_TYPE, remind_contract)
