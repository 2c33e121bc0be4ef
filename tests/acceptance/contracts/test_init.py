"""``jobforge-contracts init`` in a fresh git repository, run as a user types it.

``check`` replays the skeleton's golden on $JOBFORGE_REPLAY_DATABASE_URL when it is set,
else on its own embedded PostgreSQL, exactly as it would for the user.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.acceptance.support import contracts

BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 120
USER_PYPROJECT = b"""\
# The shop's own settings; init must leave every byte of this in place.
[project]
name = "shop"
version = "1.0.0"
dependencies = ["requests>=2"]  # pinned by the team

[tool.ruff]
line-length = 100
"""
RUNNER = "acme.billing"
AUTHORED = [
    "contracts/runners/acme.billing.yaml",
    "connectors/acme.billing.api/metadata.json",
    "goldens/acme.billing/active-item.yaml",
    "jobforge_handlers/__init__.py",
    "jobforge_handlers/acme_billing.py",
]
GENERATED = [
    "contracts/schema/connector.schema.json",
    "contracts/schema/golden.schema.json",
    "contracts/schema/runner.schema.json",
    "contracts/contracts.lock",
    "docs/connectors/acme.billing.api.md",
    "docs/connectors/index.md",
    "docs/connectors/registry.json",
]
CI_FILES = [".pre-commit-config.yaml", ".github/workflows/contracts.yml"]


def run(repo: Path, *command: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        list(command), cwd=repo, env=env, capture_output=True, text=True,
        timeout=DEADLINE_SECONDS, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def git(repo: Path, *arguments: str) -> str:
    return run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@example.test", *arguments)


def tree(repo: Path) -> dict[str, bytes]:
    """Every file of the repository but git's own, with its bytes."""
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts[:1]
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository whose one commit is the user's pyproject.toml."""
    root = tmp_path / "shop"
    root.mkdir()
    git(root, "init", "-q")
    (root / "pyproject.toml").write_bytes(USER_PYPROJECT)
    git(root, "add", "pyproject.toml")
    git(root, "commit", "-q", "-m", "the shop")
    return root


def test_init_then_check_passes_at_once(repo: Path) -> None:
    completed = contracts("init", "--runner", RUNNER, cwd=repo)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stderr == ""

    for path in [*AUTHORED, *GENERATED, *CI_FILES]:
        assert (repo / path).is_file(), path
        assert re.search(rf"^  created +{re.escape(path)} ", completed.stdout, re.M), path
    assert "appended  pyproject.toml" in completed.stdout
    pyproject = (repo / "pyproject.toml").read_bytes()
    assert pyproject.startswith(USER_PYPROJECT)
    settings = tomllib.loads(pyproject.decode("utf-8"))
    assert settings["project"]["name"] == "shop"
    assert settings["tool"]["ruff"] == {"line-length": 100}
    assert settings["tool"]["jobforge"]["handler_modules"] == ["jobforge_handlers.acme_billing"]
    assert settings["tool"]["jobforge"]["contracts"]["goldens_dir"] == "goldens"

    checked = contracts("check", cwd=repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for step in ("validate", "schema", "registry", "drift", "replay"):
        assert re.search(rf"^{step} +ok ", checked.stdout, re.M), checked.stdout
    assert "1 passed, 0 failed" in checked.stdout

    # The printed `git add` names everything init created, and nothing else.
    [add_line] = [line for line in completed.stdout.splitlines() if "git add " in line]
    git(repo, *add_line.split()[1:])
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == "".join(
        f"{'M ' if path == 'pyproject.toml' else 'A '} {path}\n"
        for path in sorted(["pyproject.toml", *AUTHORED, *GENERATED, *CI_FILES])
    )


def test_the_skeleton_is_what_the_layout_and_the_generators_expect(repo: Path) -> None:
    assert contracts("init", "--runner", RUNNER, cwd=repo).returncode == 0
    connector = repo / "connectors" / "acme.billing.api" / "metadata.json"
    schema_reference = json.loads(connector.read_text(encoding="utf-8"))["$schema"]
    assert (connector.parent / schema_reference).resolve() == (
        repo / "contracts" / "schema" / "connector.schema.json"
    )
    for path, kind in (
        ("contracts/runners/acme.billing.yaml", "runner"),
        ("goldens/acme.billing/active-item.yaml", "golden"),
    ):
        first_line = (repo / path).read_text(encoding="utf-8").splitlines()[0]
        reference = first_line.removeprefix("# yaml-language-server: $schema=")
        assert ((repo / path).parent / reference).resolve() == (
            repo / "contracts" / "schema" / f"{kind}.schema.json"
        )
    golden = (repo / "goldens" / "acme.billing" / "active-item.yaml").read_text("utf-8")
    assert "connector_id: acme.billing.api" in golden  # replay answers from the recording
    # Regenerating changes nothing: the generated files came from the same generators.
    before = tree(repo)
    for command in (("schema",), ("generate-registry",), ("lock",)):
        completed = contracts(*command, cwd=repo)
        assert completed.returncode == 0, completed.stdout + completed.stderr
    assert tree(repo) == before


def test_init_again_refuses_and_changes_nothing(repo: Path) -> None:
    assert contracts("init", "--runner", RUNNER, cwd=repo).returncode == 0
    before = tree(repo)

    again = contracts("init", "--runner", RUNNER, cwd=repo)

    assert again.returncode == 1
    assert again.stdout == ""
    assert f"nothing was written in {repo}" in again.stderr
    assert "pyproject.toml: already has a [tool.jobforge] section" in again.stderr
    assert "  goldens/acme.billing/active-item.yaml: exists" in again.stderr
    assert tree(repo) == before


@pytest.mark.parametrize(
    "existing",
    [
        "goldens/acme.billing/active-item.yaml",
        "jobforge_handlers/acme_billing.py",
        "docs/connectors/index.md",
        ".github/workflows/contracts.yml",
    ],
)
def test_one_existing_target_means_nothing_is_written(repo: Path, existing: str) -> None:
    target = repo / existing
    target.parent.mkdir(parents=True)
    target.write_bytes(b"the user's own file\n")
    before = tree(repo)

    completed = contracts("init", "--runner", RUNNER, cwd=repo)

    assert completed.returncode == 1
    assert completed.stderr.splitlines()[1] == f"  {existing}: exists"
    assert "init never overwrites a file" in completed.stderr
    assert tree(repo) == before


def test_a_folder_the_tool_reads_whole_must_be_empty(repo: Path) -> None:
    stray = repo / "connectors" / "billing_client.py"
    stray.parent.mkdir()
    stray.write_text("import requests\n", encoding="utf-8")
    before = tree(repo)

    completed = contracts("init", "--runner", RUNNER, cwd=repo)

    assert completed.returncode == 1
    assert "  connectors/: holds billing_client.py;" in completed.stderr
    assert tree(repo) == before


def test_without_a_pyproject_one_is_created(tmp_path: Path) -> None:
    repo = tmp_path / "bare"
    repo.mkdir()
    git(repo, "init", "-q")

    completed = contracts("init", "--root", str(repo), cwd=tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert re.search(r"^  created +pyproject\.toml ", completed.stdout, re.M)
    settings = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    assert settings["tool"]["jobforge"]["handler_modules"] == ["jobforge_handlers.example_ops"]
    checked = contracts("check", cwd=repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_existing_pre_commit_config_is_left_alone_and_the_entry_printed(repo: Path) -> None:
    config = repo / ".pre-commit-config.yaml"
    config.write_bytes(b"repos:\n  - repo: https://example.test/hooks\n    rev: v1\n")
    before = config.read_bytes()

    completed = contracts("init", "--runner", RUNNER, cwd=repo)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert config.read_bytes() == before
    assert "created   .pre-commit-config.yaml" not in completed.stdout
    assert ".pre-commit-config.yaml exists and was left as it is" in completed.stdout
    assert "  - repo: local\n    hooks:\n      - id: jobforge-validate-connectors\n" in (
        completed.stdout
    )
    assert "pre-commit install" not in completed.stdout


def test_the_pre_commit_hooks_it_writes_pass_under_pre_commit(repo: Path, tmp_path: Path) -> None:
    assert contracts("init", "--runner", RUNNER, cwd=repo).returncode == 0
    git(repo, "add", "-A")
    environment = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # language: system
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    output = run(repo, str(BIN / "pre-commit"), "run", "--all-files", env=environment)
    for hook in ("connector metadata", "runner contracts and goldens", "registry is up to date"):
        assert re.search(rf"{hook}\.+Passed", output), output


def test_the_workflow_is_a_valid_github_workflow_running_check(repo: Path) -> None:
    assert contracts("init", "--runner", RUNNER, cwd=repo).returncode == 0
    workflow = repo / ".github" / "workflows" / "contracts.yml"
    run(
        repo, str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
        str(workflow),
    )  # fmt: skip
    text = workflow.read_text(encoding="utf-8")
    assert "- run: jobforge-contracts check --format github" in text
    assert re.search(r'pip install "jobforge\[embedded\]==\d+\.\d+\.\d+', text)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--runner", "Acme.Billing"), "--runner 'Acme.Billing': expected a dotted lower-case"),
        (("--runner", "acme..billing"), "--runner 'acme..billing': expected a dotted lower-case"),
        (("--domain", "Billing Ops"), "--domain 'Billing Ops': expected a dotted lower-case"),
    ],
)
def test_a_bad_name_is_a_usage_error_and_writes_nothing(
    repo: Path, arguments: tuple[str, ...], message: str
) -> None:
    completed = contracts("init", *arguments, cwd=repo)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert tree(repo) == {"pyproject.toml": USER_PYPROJECT}


def test_the_domain_defaults_to_the_runner_ids_second_part_and_can_be_set(repo: Path) -> None:
    completed = contracts("init", "--runner", "acme.payments.refund", cwd=repo)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    runner = (repo / "contracts" / "runners" / "acme.payments.refund.yaml").read_text("utf-8")
    assert "\nrunner_type: payments\n" in runner
    assert "\n  acme.payments.refund.lookup:\n" in runner

    other = repo.parent / "other"
    other.mkdir()
    completed = contracts("init", "--root", str(other), "--domain", "acme.payments", cwd=repo)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "\nrunner_type: acme.payments\n" in (
        other / "contracts" / "runners" / "example.ops.yaml"
    ).read_text("utf-8")
