"""Contracts: the models of runner, connector and golden files, and the checks run on them.

Nothing is imported here on purpose: ``jobforge-contracts validate`` on one JSON file must
start fast, so each command imports only the modules it needs.
"""
