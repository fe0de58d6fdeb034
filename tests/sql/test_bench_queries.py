"""`vedb bench queries` end to end on a small seeded database: every table it promises."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.conftest import seeded_database
from tests.seeds.test_seed_command import run_vedb
from vedb.databases import database_name
from vedb.stack import Stack


@pytest.fixture(scope="module")
def tuned_demo(stack: Stack) -> Iterator[str]:
    for url in seeded_database(stack, "demo"):
        # As `vedb tune` would leave it for this database: one planner setting changed.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET work_mem = '64MB'").format(
                    sql.Identifier(database_name(url))
                )
            )
        yield url


def test_bench_queries_prints_every_comparison(tuned_demo: str) -> None:
    result = run_vedb("bench", "queries", "--runs", "3", url=tuned_demo)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "profile demo (seed 1, anchor" in out and "shared_buffers" in out
    assert "raw-table reference vs rollup" in out and "monthly_active_users" in out
    assert "PostgreSQL defaults vs this server's settings" in out
    assert "work_mem 4096 kB -> 64 MB" in out
    assert "with rollups (queued, folded every 1 s" in out
    assert "rollup catch-up on one day" in out
    with psycopg.connect(tuned_demo, autocommit=True) as conn:  # the scratch copies are gone
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'vedb_bench%'"
        ).fetchone()
    assert left == (0,)


def test_bench_queries_ingest_only_times_ingest_alone(tuned_demo: str) -> None:
    result = run_vedb("bench", "queries", "--ingest-only", url=tuned_demo)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "profile demo (seed 1, anchor" in out and "with / without" in out
    assert "raw-table reference vs rollup" not in out and "rollup catch-up" not in out
    assert "read into memory first" in out  # pg_prewarm, in each scratch copy
    cold = run_vedb("bench", "queries", "--ingest-only", "--no-warm-up", url=tuned_demo)
    assert cold.returncode == 0, cold.stderr
    assert "each copy cold" in cold.stdout and "with / without" in cold.stdout


def test_bench_queries_seeds_a_profile_into_a_scratch_database(stack: Stack) -> None:
    url = stack.postgres.url
    refused = run_vedb("bench", "queries", "--profile", "giant", url=url)
    assert refused.returncode == 1
    assert "unknown profile 'giant': choose one of demo, load, scale, huge" in refused.stderr
    result = run_vedb(
        "bench", "queries", "--runs", "3", "--profile", "demo", "--seed", "2", url=url
    )
    assert result.returncode == 0, result.stderr
    assert "Database vedb_bench_queries" in result.stdout
    assert "profile demo (seed 2, anchor" in result.stdout
    assert "leaderboard" in result.stdout and "rollup catch-up on one day" in result.stdout
    with psycopg.connect(url, autocommit=True) as conn:  # the seeded scratch database is gone too
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'vedb_bench%'"
        ).fetchone()
    assert left == (0,)


def test_bench_growth_prints_every_figure_per_profile_and_the_ratios(stack: Stack) -> None:
    url = stack.postgres.url
    alone = run_vedb("bench", "growth", "--profiles", "demo", url=url)
    assert alone.returncode == 1
    assert "--profiles needs two profiles or more to show growth, not 'demo'" in alone.stderr
    unknown = run_vedb("bench", "growth", "--profiles", "demo,vast", url=url)
    assert unknown.returncode == 1
    assert "unknown profile 'vast'" in unknown.stderr
    result = run_vedb("bench", "growth", "--profiles", "demo,demo", "--runs", "3", url=url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "p50 / p95, and p95 growth" in out and "demo→demo" in out
    assert "at_risk_students" in out and "top_courses" in out
    for measure in ("seed (migrate", "vedb refresh --full", "forget the heaviest"):
        assert measure in out
    with psycopg.connect(url, autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'vedb_bench%'"
        ).fetchone()
    assert left == (0,)


def test_bench_ingest_posts_through_the_api_and_waits_for_the_fold(stack: Stack) -> None:
    for url in seeded_database(stack, "demo"):
        result = run_vedb(
            "bench", "ingest", "--events", "2000", "--writers", "4", "--workers", "1",
            url=url, env_extra={"VEDB_REDIS_URL": stack.redis.url},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "4 writers posting batches of 500: 2,000 events acknowledged" in result.stdout
        assert "(0 duplicates)" in result.stdout
        assert "sustained ingest through the API:" in result.stdout
        assert "event queue drained" in result.stdout and "not within" not in result.stdout
        with psycopg.connect(url) as conn:  # the scratch copy took the writes, and is gone
            counted = conn.execute(
                "SELECT (SELECT count(*) FROM analytics.behavior_log),"
                " (SELECT count(*) FROM pg_database WHERE datname LIKE 'vedb_bench%')"
            ).fetchone()
        assert counted is not None and counted[0] < 10_000 and counted[1] == 0
