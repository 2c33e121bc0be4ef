"""The skeleton ``jobforge-contracts init`` writes into a project, and writing it safely.

``names`` derives every id and path from the runner name, ``skeleton`` renders the files
(templates in ``templates/``, generated files from the project's own generators),
``pyproject_section`` appends the configuration, and ``writing`` creates the files all or
nothing, never over an existing one.
"""
