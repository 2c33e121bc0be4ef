"""The API keys runner: issue, list, rotate and revoke a tenant's API keys.

A key's text never reaches a job: ``jobforge keys issue`` (``jobforge.keys``) makes the
key, hashes it, and enqueues ``jobforge.keys.issue`` with the key id, display prefix and
hash; the handlers here check such requests and keep keys through the
``jobforge.keys.store`` connector (``store.py``), whose live transport calls the
database's key RPCs. ``handlers.py`` registers the four job types; the rules live in one
module per job (``issue.py``, ``rotate.py``, ``revoke.py``, ``listing.py``) and in
``requests.py`` and ``views.py``, testable without a job.
"""
