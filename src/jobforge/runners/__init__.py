"""The domain runners shipped with JobForge, one subpackage per domain.

Runners use only the public handler API (``jobforge.handler``, ``JobContext``); their
contracts live in ``contracts/runners/`` and their goldens in ``goldens/``.
"""
