"""Seeding is deterministic, replaces its own data, refuses others', and is all-or-nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import psycopg
import pytest

from seeds import get_profile
from tests.conftest import migrated_database
from tests.seeds.conftest import ANCHOR
from vedb.databases import create_database, drop_database
from vedb.seed.command import seed_database
from vedb.seed.load import SeedRefused, checksums, load, row_counts
from vedb.seed.progress import Silent
from vedb.seed.tables import SEEDED_TABLES, generate
from vedb.stack import Stack

VEDB = str(Path(sys.executable).parent / "vedb")


@pytest.fixture
def migrated(stack: Stack) -> Iterator[str]:
    yield from migrated_database(stack)


def sums(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return checksums(conn, SEEDED_TABLES)


def test_same_seed_same_rows_other_seed_other_rows(migrated: str) -> None:
    seed_database(migrated, "demo", 1, ANCHOR)
    first = sums(migrated)
    seed_database(migrated, "demo", 2, ANCHOR)
    other = sums(migrated)
    seed_database(migrated, "demo", 1, ANCHOR)  # re-seeding replaces, never duplicates
    again = sums(migrated)
    assert again == first
    changed = [t for t in SEEDED_TABLES if other[t] != first[t]]
    assert set(changed) >= set(SEEDED_TABLES) - {"gamification.achievements"}
    with psycopg.connect(migrated) as conn:
        runs = conn.execute("SELECT profile, seed FROM ops.seed_runs ORDER BY id").fetchall()
    assert runs == [("demo", 1), ("demo", 2), ("demo", 1)]


def test_foreign_data_is_refused_and_left_untouched(migrated: str) -> None:
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "INSERT INTO learning.users (email, display_name) VALUES ('real@v.vn', 'Real')"
        )
    with pytest.raises(
        SeedRefused, match=r"did not make \(learning.users has 1 rows, and no seed ran"
    ):
        seed_database(migrated, "demo", 1, ANCHOR)
    with psycopg.connect(migrated) as conn:
        assert row_counts(conn, SEEDED_TABLES)["learning.users"] == 1
        assert conn.execute("SELECT count(*) FROM ops.seed_runs").fetchone() == (0,)


def test_data_added_after_a_seed_is_refused(migrated: str) -> None:
    seed_database(migrated, "demo", 1, ANCHOR)
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "DELETE FROM social.follows WHERE ctid IN (SELECT ctid FROM social.follows LIMIT 1)"
        )
    with pytest.raises(SeedRefused, match=r"social.follows has \d+ rows; the last seed left \d+"):
        seed_database(migrated, "demo", 1, ANCHOR)
    seed_database(migrated, "demo", 1, ANCHOR, force=True)


def test_production_database_is_refused_unless_forced(migrated: str) -> None:
    dbname = migrated.rsplit("/", 1)[1]
    with psycopg.connect(migrated, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {dbname} SET vedb.environment = 'production'")
    with pytest.raises(SeedRefused, match="marked production"):
        seed_database(migrated, "demo", 1, ANCHOR)
    with psycopg.connect(migrated) as conn:
        assert not any(row_counts(conn, SEEDED_TABLES).values())
    seed_database(migrated, "demo", 1, ANCHOR, force=True)
    with psycopg.connect(migrated) as conn:
        assert row_counts(conn, SEEDED_TABLES)["learning.users"] == 200


def test_a_failed_load_changes_nothing(migrated: str) -> None:
    seed_database(migrated, "demo", 1, ANCHOR)
    before = sums(migrated)
    dataset = generate(get_profile("demo"), 2, ANCHOR)
    log = dataset.tables["analytics.behavior_log"]
    bad_user = np.array(log[1].values, copy=True)
    bad_user[-1] = 10**9  # no such user: the foreign key rebuilt after the COPY rejects it
    tables = {
        **dataset.tables,
        "analytics.behavior_log": [log[0], replace(log[1], values=bad_user), *log[2:]],
    }
    with psycopg.connect(migrated) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        load(conn, replace(dataset, tables=tables), Silent())
    assert sums(migrated) == before


def test_unmigrated_database_and_unknown_profile_are_clear_errors(stack: Stack) -> None:
    url = create_database(stack.postgres.url)
    try:
        with pytest.raises(SeedRefused, match=r"not migrated .*run `vedb migrate`"):
            seed_database(url, "demo", 1, ANCHOR)
    finally:
        drop_database(url)
    with pytest.raises(
        ValueError, match="unknown profile 'giant': choose one of demo, load, scale, huge"
    ):
        get_profile("giant")


def run_vedb(
    *args: str, url: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    return subprocess.run(
        [VEDB, *args],
        env={**env, "VEDB_DATABASE_URL": url, "COLUMNS": "200", **(env_extra or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_seeds_and_explains_refusals(migrated: str) -> None:
    ok = run_vedb("seed", "--profile", "demo", "--anchor", "2026-11-22", url=migrated)
    assert ok.returncode == 0, ok.stderr
    assert "Seeded profile 'demo', seed 1, anchor 2026-11-22" in ok.stdout
    assert "analytics.behavior_log" in ok.stdout
    # Its stderr is a pipe here, as in a log or CI: progress comes as plain lines.
    assert "COPY analytics.behavior_log: done in" in ok.stderr
    assert "build 1/" in ok.stderr and ": rollups" in ok.stderr, ok.stderr
    with psycopg.connect(migrated) as conn:
        conn.execute("INSERT INTO learning.users (email, display_name) VALUES ('a@b.vn', 'A')")
    refused = run_vedb("seed", url=migrated)
    assert refused.returncode == 1
    assert "refusing to seed" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    bad = run_vedb("seed", "--anchor", "yesterday", url=migrated)
    assert bad.returncode == 1 and "--anchor 'yesterday' is not a date" in bad.stderr
    unknown = run_vedb("seed", "--profile", "giant", url=migrated)
    assert unknown.returncode == 1 and "unknown profile 'giant'" in unknown.stderr


def test_generation_is_deterministic_without_a_database() -> None:
    a = generate(get_profile("demo"), 7, ANCHOR)
    b = generate(get_profile("demo"), 7, ANCHOR)
    for table, columns in a.tables.items():
        for left, right in zip(columns, b.tables[table], strict=True):
            assert np.array_equal(left.values, right.values), (table, left.name)


def test_bench_compares_with_pgbench(migrated: str) -> None:
    result = run_vedb("bench", "seed", "--profile", "demo", url=migrated)
    assert result.returncode == 0, result.stderr
    assert "pgbench -i -s 1: generate" in result.stdout
    assert "events rows/s ÷ pgbench rows/s" in result.stdout
