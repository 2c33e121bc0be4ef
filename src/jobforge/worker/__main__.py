"""`python -m jobforge.worker run ...` is `jobforge worker run ...`."""

from __future__ import annotations

import sys

from jobforge.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
