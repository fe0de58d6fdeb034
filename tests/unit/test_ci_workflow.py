"""The GitHub Actions workflow is valid, and .ci/run calls the README's test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vedb.settings import REPO_ROOT


def test_workflows_pass_actionlint() -> None:
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.fail("actionlint is not installed: `pip install -e '.[dev]'` provides it")
    workflows = sorted(str(p) for p in (REPO_ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run(
        [binary, "-no-color", *workflows],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in readme.split("\n## ")[0], "the README opens with the test command"
    assert "make test" in ci
