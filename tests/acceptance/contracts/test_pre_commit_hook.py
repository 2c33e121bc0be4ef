"""The hooks of .pre-commit-hooks.yaml, run by pre-commit itself on a scratch repository.

pre-commit would install a `language: python` hook repository into a fresh virtualenv
(minutes, and the network); this test keeps every other part of the hook definitions
(id, entry, files, pass_filenames) and runs them as `language: system` with the entry
resolved to this environment's jobforge-contracts, so pre-commit's own file selection and
argument passing are what is exercised.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from tests.unit.contracts.support import REPO_ROOT, sample_connector, write_connector

BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 120


def _git(repo: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=DEADLINE_SECONDS,
    )


def _local_config(repo: Path) -> Path:
    yaml = YAML(typ="safe", pure=True)
    hooks = yaml.load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    validate = next(h for h in hooks if h["id"] == "jobforge-validate-connectors")
    program, *arguments = validate["entry"].split()
    validate = {
        **validate,
        "language": "system",
        "entry": " ".join([str(BIN / program), *arguments]),
    }
    config = repo / ".pre-commit-config.yaml"
    with config.open("w", encoding="utf-8") as stream:
        yaml.dump({"repos": [{"repo": "local", "hooks": [validate]}]}, stream)
    return config


def test_validate_connectors_hook_passes_good_and_fails_bad_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("", encoding="utf-8")
    _git(repo, "init", "-q")
    write_connector(repo, "good.api", sample_connector(connector_id="good.api"))
    (repo / "README.md").write_text("not a connector\n", encoding="utf-8")
    config = _local_config(repo)
    environment = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    command = [str(BIN / "pre-commit"), "run", "--config", str(config), "--all-files"]

    _git(repo, "add", "-A")
    good = subprocess.run(
        command, cwd=repo, env=environment, capture_output=True, text=True,
        timeout=DEADLINE_SECONDS, check=False,
    )  # fmt: skip
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    write_connector(repo, "bad.api", sample_connector(connector_id="bad.api", version="1.0"))
    misnamed = repo / "connectors" / "other.api" / "metadata.yml"
    misnamed.parent.mkdir()
    misnamed.write_text("connector_id: other.api\n", encoding="utf-8")
    _git(repo, "add", "-A")
    bad = subprocess.run(
        command, cwd=repo, env=environment, capture_output=True, text=True,
        timeout=DEADLINE_SECONDS, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "Failed" in bad.stdout
    assert (
        "connectors/bad.api/metadata.json:3:14: version: JF113 invalid-semver: expected a "
        'semantic version such as "1.2.3" or "2.0.0-rc.1", got "1.0"' in bad.stdout
    )
    assert "connectors/other.api/metadata.yml:1:1: JF114 misnamed-file:" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
