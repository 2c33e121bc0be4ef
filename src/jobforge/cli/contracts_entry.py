"""`python -m jobforge.cli.contracts_entry ...` is `jobforge-contracts ...`."""

from __future__ import annotations

from jobforge.cli.contracts import main

if __name__ == "__main__":
    main()
