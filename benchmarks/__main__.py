"""Run every benchmark module (or those named), print figures, write bench-results/*.json."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

import benchmarks

RESULTS_DIR = Path("bench-results")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    args = parser.parse_args()
    available = sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )
    selected = args.names or available
    unknown = sorted(set(selected) - set(available))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    RESULTS_DIR.mkdir(exist_ok=True)
    for name in selected:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        figures = module.run()
        for key, value in figures.items():
            print(
                f"   {key:<55} {value:>14,.3f}"
                if isinstance(value, float)
                else f"   {key:<55} {value!s:>14}"
            )
        (RESULTS_DIR / f"{name}.json").write_text(
            json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
