"""`jobforge doctor`: read-only health checks of a JobForge database and project.

``run.run_doctor`` runs the checks (``schema_checks``, ``queue_checks``,
``contract_checks``, each a function returning a ``results.CheckResult``) and
``reporters`` renders the report. Nothing is imported here, so the CLI can read the
defaults in ``options`` without loading the database driver.
"""
