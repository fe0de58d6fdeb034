"""`vedb docs`: the committed docs/ is what the migrations and queries generate, and a changed
migration without regenerated docs fails `--check` with the diff."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from vedb.settings import REPO_ROOT

VEDB = str(Path(sys.executable).parent / "vedb")


def run_docs(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    return subprocess.run(
        [VEDB, "docs", *args],
        env={**base, "VEDB_DATABASE_URL": url, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def check_with_migration(
    url: str, tmp_path: Path, name: str, sql: str
) -> subprocess.CompletedProcess[str]:
    """`vedb docs --check` with the project's migrations plus one more, in a copy."""
    changed = tmp_path / "migrations"
    shutil.copytree(REPO_ROOT / "migrations", changed)
    (changed / name).write_text(sql)
    return run_docs(url, "--check", VEDB_MIGRATIONS_DIR=str(changed))


def test_the_committed_docs_are_current(migrated_db: str) -> None:
    result = run_docs(migrated_db, "--check")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "docs/ is current (7 generated files); check.ts type-checks." in result.stdout


def test_a_migration_changed_without_regenerating_fails_the_check(
    migrated_db: str, tmp_path: Path
) -> None:
    result = check_with_migration(
        migrated_db,
        tmp_path,
        "9999.add-users-nickname.sql",
        "ALTER TABLE learning.users ADD COLUMN nickname text;\n"
        "COMMENT ON COLUMN learning.users.nickname IS 'what friends call them';\n",
    )
    assert result.returncode == 1
    assert "docs/ is stale: run `vedb docs`" in result.stderr
    assert "+++ b/docs/schema/erd-learning.md" in result.stdout
    assert "+| nickname | text | yes |  | what friends call them |" in result.stdout
    assert "+        text nickname" in result.stdout  # the ERD too
    assert not (REPO_ROOT / "docs" / "schema" / "erd-learning.md").read_text().count("nickname")


def test_a_renamed_column_fails_the_check_in_the_types_and_in_check_ts(
    migrated_db: str, tmp_path: Path
) -> None:
    """The platform's build would break on this rename: the Kysely types are stale, and the
    typed select in docs/types/check.ts no longer compiles against the regenerated ones."""
    result = check_with_migration(
        migrated_db,
        tmp_path,
        "9999.rename-behavior-log-occurred-at.sql",
        "ALTER TABLE analytics.behavior_log RENAME COLUMN occurred_at TO happened_at;\n",
    )
    assert result.returncode == 1
    assert "+++ b/docs/types/database.ts" in result.stdout
    assert "+  happened_at: Timestamp;" in result.stdout
    assert "-  occurred_at: Timestamp;" in result.stdout
    assert "docs/types/check.ts does not type-check" in result.stderr
    assert "check.ts(" in result.stderr and "occurred_at" in result.stderr
    assert "docs/ is stale: run `vedb docs`" in result.stderr
    assert "happened_at" not in (REPO_ROOT / "docs" / "types" / "database.ts").read_text()
