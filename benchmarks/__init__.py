"""Benchmarks run by `nox -s bench`: each bench_*.py module has run() -> dict of figures."""
