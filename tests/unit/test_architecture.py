"""The layering in docs/ARCHITECTURE.md, enforced: which packages may import which."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "jobforge"

# package -> packages it must never import
FORBIDDEN = {
    "jobforge.contracts": ("jobforge.worker", "jobforge.db", "jobforge.client", "jobforge.cli"),
    "jobforge.registry": ("jobforge.worker", "jobforge.db", "jobforge.client", "jobforge.cli"),
    "jobforge.scaffold": ("jobforge.worker", "jobforge.db", "jobforge.client", "jobforge.cli"),
    "jobforge.client": ("jobforge.worker", "jobforge.cli", "jobforge.contracts"),
    "jobforge.db": ("jobforge.client", "jobforge.worker", "jobforge.cli", "jobforge.contracts"),
    "jobforge.determinism": ("jobforge.db", "jobforge.worker", "jobforge.client", "jobforge.cli"),
    "jobforge.worker": ("jobforge.cli", "jobforge.contracts", "jobforge.client"),
    # Operations: metrics and spans, the operator read models, the HTTP ingress, the
    # dashboard and doctor sit beside one another, on the router's layers below.
    "jobforge.observability": (
        "jobforge.worker", "jobforge.cli", "jobforge.contracts", "jobforge.client",
        "jobforge.server", "jobforge.dashboard",
    ),
    "jobforge.operations": (
        "jobforge.worker", "jobforge.cli", "jobforge.contracts", "jobforge.server",
        "jobforge.dashboard",
    ),
    "jobforge.server": ("jobforge.worker", "jobforge.contracts", "jobforge.dashboard"),
    "jobforge.dashboard": ("jobforge.worker", "jobforge.contracts", "jobforge.server"),
    "jobforge.doctor": ("jobforge.worker", "jobforge.server", "jobforge.dashboard"),
}  # fmt: skip
# What runner code may import from JobForge: the public handler API only.
RUNNER_ALLOWED = (
    "jobforge",
    "jobforge.context",
    "jobforge.handlers",
    "jobforge.errors",
    "jobforge.json_schema",  # JSON Schema with ECMA-262 patterns, as contracts mean them
)


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


def import_cycle(package: str) -> list[str]:
    """One cycle among the modules of ``package`` (function-level imports included), or []."""
    modules = {module_name(path): path for path in sorted(SRC.rglob("*.py"))}
    inside = {name: path for name, path in modules.items() if within(name, package)}
    graph = {
        name: sorted(
            target
            for target in imported_names(path)
            if target in inside and target != name and inside[target].name != "__init__.py"
        )
        for name, path in inside.items()
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str]:
        if name in visiting:
            return [*visiting[visiting.index(name) :], name]
        if name in done:
            return []
        visiting.append(name)
        for target in graph[name]:
            cycle = visit(target)
            if cycle:
                return cycle
        visiting.pop()
        done.add(name)
        return []

    for name in sorted(graph):
        cycle = visit(name)
        if cycle:
            return cycle
    return []


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` may import: ``from a.b import c`` names both a.b and a.b.c."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_contracts_package_has_no_import_cycle() -> None:
    """Each stage of the contract pipeline reads only what comes before it."""
    assert import_cycle("jobforge.contracts") == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "jobforge" / "loop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from jobforge.loop.b import x\n")
    (package / "b.py").write_text("def f():\n    from jobforge.loop import a\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path / "jobforge")
    expected = ["jobforge.loop.a", "jobforge.loop.b", "jobforge.loop.a"]
    assert import_cycle("jobforge.loop") == expected
