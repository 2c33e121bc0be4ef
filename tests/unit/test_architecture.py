"""The layering in docs/ARCHITECTURE.md, enforced: which packages may import which."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "jobforge"

# package -> packages it must never import
FORBIDDEN = {
    "jobforge.contracts": ("jobforge.worker", "jobforge.db", "jobforge.client", "jobforge.cli"),
    "jobforge.registry": ("jobforge.worker", "jobforge.db", "jobforge.client", "jobforge.cli"),
    "jobforge.client": ("jobforge.worker", "jobforge.cli", "jobforge.contracts"),
    "jobforge.db": ("jobforge.client", "jobforge.worker", "jobforge.cli", "jobforge.contracts"),
    "jobforge.determinism": ("jobforge.db", "jobforge.worker", "jobforge.client", "jobforge.cli"),
    "jobforge.worker": ("jobforge.cli", "jobforge.contracts", "jobforge.client"),
}
# What runner code may import from JobForge: the public handler API only.
RUNNER_ALLOWED = ("jobforge", "jobforge.context", "jobforge.handlers", "jobforge.errors")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name == "jobforge" or name.startswith("jobforge.")}


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_layer_boundaries() -> None:
    """One test over every source file (read at run time, so collection never varies)."""
    sources = sorted(SRC.rglob("*.py"))
    assert len(sources) > 20
    violations = [problem for path in sources for problem in boundary_violations(path)]
    assert violations == []


def boundary_violations(path: Path) -> list[str]:
    problems: list[str] = []
    module = module_name(path)
    imports = imported_modules(path)
    if path.name == "__main__.py":  # `python -m` entry points belong to the CLI layer
        imports = {i for i in imports if not within(i, "jobforge.cli")}
    for package, forbidden in FORBIDDEN.items():
        if within(module, package):
            bad = sorted(i for i in imports if any(within(i, f) for f in forbidden))
            if bad:
                problems.append(f"{module} must not import {bad}")
    if not within(module, "jobforge.cli"):
        bad = sorted(i for i in imports if within(i, "jobforge.cli"))
        if bad:
            problems.append(f"{module} must not import the CLI layer: {bad}")
    if within(module, "jobforge.runners"):
        bad = sorted(
            i for i in imports if not within(i, "jobforge.runners") and i not in RUNNER_ALLOWED
        )
        if bad:
            problems.append(f"runner {module} may use only the public handler API, not {bad}")
    return problems


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The import scanner itself must be able to fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("from jobforge.worker import Worker\nimport jobforge.db.connection\n")
    assert imported_modules(bad) == {"jobforge.worker", "jobforge.db.connection"}
    client_module = SRC / "client" / "sync.py"
    assert boundary_violations(client_module) == []
