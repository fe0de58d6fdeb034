"""The `vedb` CLI as a user runs it: real subprocesses against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.migrations.catalog import MIGRATION_IDS

VEDB = str(Path(sys.executable).parent / "vedb")


def run_vedb(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    return subprocess.run(
        [VEDB, *args],
        env={**clean, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_migrate_applies_then_reports_head(fresh_db: str) -> None:
    first = run_vedb("migrate", VEDB_DATABASE_URL=fresh_db)
    assert first.returncode == 0, first.stderr
    assert f"Applied {len(MIGRATION_IDS)} migration(s)." in first.stdout
    assert "0012.create-ops-seed-runs" in first.stdout
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT to_regclass('analytics.behavior_log')").fetchone() == (
            "analytics.behavior_log",
        )

    second = run_vedb("migrate", VEDB_DATABASE_URL=fresh_db)
    assert second.returncode == 0 and "Already at head." in second.stdout

    status = run_vedb("migrate", "--status", VEDB_DATABASE_URL=fresh_db)
    lines = status.stdout.splitlines()
    assert len(lines) == len(MIGRATION_IDS) and all(line.startswith("applied") for line in lines)


def test_migrate_status_lists_pending_on_an_empty_database(fresh_db: str) -> None:
    status = run_vedb("migrate", "--status", VEDB_DATABASE_URL=fresh_db)
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[0] == "pending  0001.create-learning-schema"


def test_migrate_names_an_unreachable_database() -> None:
    result = run_vedb("migrate", VEDB_DATABASE_URL="postgresql://nobody:s3cret@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "error: database postgresql://nobody:***@127.0.0.1:1/none" in result.stderr
    assert "Connection refused" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


def test_doctor_finds_servers_here() -> None:
    result = run_vedb("stack", "doctor", VEDB_STACK_BACKEND="local")
    assert result.returncode == 0, result.stderr
    assert "can be started here" in result.stdout


def test_stack_env_without_a_stack_says_how_to_start_one(tmp_path: Path) -> None:
    result = run_vedb("stack", "env", VEDB_STACK_STATE_FILE=str(tmp_path / "none.json"))
    assert result.returncode == 1
    assert "vedb stack up" in result.stderr


def test_version() -> None:
    assert run_vedb("version").stdout.strip() == "0.1.0"


def test_query_prints_json_a_table_and_clear_errors(migrated_db: str) -> None:
    as_json = run_vedb("query", "learning_funnel", "--json", VEDB_DATABASE_URL=migrated_db)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)[0] == {
        "position": 1,
        "stage": "enrolled",
        "learners": 0,
        "rate_from_previous": None,
        "rate_from_enrolled": None,
    }
    table = run_vedb("query", "leaderboard", "-p", "limit=5", VEDB_DATABASE_URL=migrated_db)
    assert (
        table.returncode == 0
        and "leaderboard v1" in table.stdout
        and "display_name" in table.stdout
    )
    bad = run_vedb("query", "leaderboard", "-p", "limit=0", VEDB_DATABASE_URL=migrated_db)
    assert bad.returncode == 1
    assert "parameter 'limit' is out of bounds: 0 is not in 1..100" in bad.stderr
    malformed = run_vedb("query", "leaderboard", "-p", "limit", VEDB_DATABASE_URL=migrated_db)
    assert malformed.returncode == 1 and "use NAME=VALUE" in malformed.stderr
    unknown = run_vedb("query", "nope", VEDB_DATABASE_URL=migrated_db)
    assert unknown.returncode == 1 and "unknown query 'nope'" in unknown.stderr


def test_bad_parameters_and_settings_are_one_line_errors(migrated_db: str) -> None:
    cases = [
        (["query", "leaderboard", "-p", "limit=--5"], {}, "'limit' must be an integer, not '--5'"),
        (["query", "leaderboard", "-p", "limit=\u00b2"], {}, "'limit' must be an integer"),
        (["query", "leaderboard", "-p", "limit=" + "9" * 5000], {}, "must be an integer"),
        (
            ["query", "student_behavior_pattern", "-p", f"user_id={10**20}"],
            {},
            "must be an integer",
        ),
        (["query", "leaderboard", "-p", "limit=5", "-p", "limit=6"], {}, "limit is given twice"),
        (["serve"], {"VEDB_API_TOKENS": "abc"}, "VEDB_API_TOKENS is not valid JSON"),
        (
            ["query", "leaderboard"],
            {"VEDB_STATEMENT_TIMEOUT_MS": "x"},
            "VEDB_STATEMENT_TIMEOUT_MS:",
        ),
    ]
    for args, env, message in cases:
        done = run_vedb(*args, VEDB_DATABASE_URL=migrated_db, **env)
        assert done.returncode == 1, args
        assert message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


# What the `ops` extra adds (pyproject.toml); a deployed host has none of it.
OPS_EXTRA = ("pyinfra", "scramp", "numpy", "locust", "testcontainers", "httpx")
WITHOUT_OPS = f"""
import sys

class WithoutOps:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {OPS_EXTRA!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (the ops extra is not installed)")
        return None

sys.meta_path.insert(0, WithoutOps())
import vedb.api.app
from vedb.cli import app
sys.argv = ["vedb", "--help"]
app()
"""


def test_the_cli_and_the_api_load_without_the_ops_extra() -> None:
    """The host's venv has the base dependencies only: the deploy test found `vedb` broken
    there once, by a module-level import that needed numpy."""
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_OPS], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "refresh" in result.stdout and "restore" in result.stdout
