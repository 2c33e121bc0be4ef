"""Drift: the lock, the schema differ, and the versioning rules a change must follow."""
