"""The AIAS runner: routing an AI agent's task to the job type that serves it, one step
at a time.

``routing.py`` is the router, a pure function: candidates are the targets declaring every
capability a step needs, the tenant's policy (``policy.py``) filters them, and the rest
are ranked by load, the agent's preference and id. ``targets.py`` reads the capability
catalogue the ``aias.registry`` connector answers with (``registry.py``); ``chain.py``
turns a task into steps and each routed step into a follow-up job; ``model.py`` runs a
step on its target through the ``aias.model`` connector, falling back to the next
allowed target when the connector's metadata hands the failure to the handler. The two
job types live in ``route.py`` and ``step.py``; ``handlers.py`` registers them.
"""
