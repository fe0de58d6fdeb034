"""The pre-commit hooks pass on every tracked file, and the secret scanner catches a new one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vedb.settings import REPO_ROOT

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(
    not (REPO_ROOT / ".git").exists() or shutil.which("git") is None,
    reason="pre-commit runs on a git checkout",
)


def hooks_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    return {
        **env,
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",  # the hooks run the venv's tools
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        "VEDB_DATABASE_URL": database_url,  # the docs hook migrates a scratch database there
    }


def test_pre_commit_passes_on_all_files(migrated_db: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "pre-commit"), "run", "--all-files", "--show-diff-on-failure"],
        cwd=REPO_ROOT,
        env=hooks_env(tmp_path, migrated_db),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for hook in ("ruff check", "ruff format", "squawk", "detect-secrets", "vedb docs"):
        assert any(
            line.startswith(hook) and "Passed" in line for line in result.stdout.splitlines()
        ), hook


def test_the_secret_scanner_flags_a_new_secret(tmp_path: Path) -> None:
    leaked = tmp_path / "settings_local.py"
    # The pragma keeps this test's own line out of the scan; the file it writes has none.
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # pragma: allowlist secret
    leaked.write_text(f'aws_secret_access_key = "{key}"\n')
    result = subprocess.run(
        [str(BIN / "detect-secrets-hook"), "--baseline", ".secrets.baseline", str(leaked)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "Secret Keyword" in result.stdout, result.stdout
