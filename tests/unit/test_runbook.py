"""Every command in docs/DATABASE_TROUBLESHOOTING.md works in this repository: each `vedb` and
`make` command exists, and each `psql -c` query runs against a migrated database."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from vedb.settings import REPO_ROOT

RUNBOOK = REPO_ROOT / "docs" / "DATABASE_TROUBLESHOOTING.md"
BIN = Path(sys.executable).parent


def commands() -> list[str]:
    """The lines of its sh blocks, and the commands it quotes inline with backticks."""
    text = RUNBOOK.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    inline = re.findall(r"`((?:vedb|make) [^`]+)`", text)
    return lines + inline


def vedb_words(command: str) -> list[str]:
    """What follows `vedb` (or /opt/vedb/venv/bin/vedb) in a command line."""
    words = shlex.split(command)
    return words[next(i for i, w in enumerate(words) if Path(w).name == "vedb") + 1 :]


def vedb_path(command: str) -> list[str]:
    """`vedb refresh --full` -> ["refresh"]; `vedb query NAME -p x` -> ["query"]."""
    words = vedb_words(command)
    path: list[str] = []
    for word in words:
        if word.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", word) or len(path) == 2:
            break
        path.append(word)
    return path


def test_the_runbook_has_commands() -> None:
    found = commands()
    assert sum(c.startswith("psql") for c in found) >= 6
    assert sum("vedb " in c for c in found) >= 8


@pytest.mark.parametrize("command", sorted({c for c in commands() if "vedb " in c}))
def test_every_vedb_command_exists(command: str) -> None:
    path = vedb_path(command)
    result = subprocess.run(
        [str(BIN / "vedb"), *path, "--help"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{command}: {result.stderr}"
    for option in re.findall(r"(--[a-z][a-z-]+)", " ".join(vedb_words(command))):
        assert option in result.stdout, f"{command}: no {option} in `vedb {' '.join(path)}`"


def test_every_make_target_exists() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (REPO_ROOT / "Makefile").read_text(), flags=re.M))
    for command in (c for c in commands() if c.startswith("make ")):
        assert command.split()[1] in targets, command


def test_every_psql_query_runs(migrated_db: str) -> None:
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")  # the deploy does
    env = {**os.environ, "VEDB_DATABASE_URL": migrated_db}
    for command in (c for c in commands() if c.startswith("psql ")):
        query = shlex.split(command)[-1]
        if "PID" in query:
            continue  # a template: the reader puts a pid in
        result = subprocess.run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", migrated_db, "-c", query],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{query}\n{result.stderr}"
