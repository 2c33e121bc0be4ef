"""Checks: each file against its model, then the files against each other."""
