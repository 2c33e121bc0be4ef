"""Canonical JSON and hashing: the same value always gives the same bytes and digest."""
