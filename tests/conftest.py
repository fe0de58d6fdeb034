"""Shared fixtures: one throwaway stack per test session, a fresh database per module or test.

The servers come from the same code as `vedb stack up`: VEDB_TEST_DATABASE_URL /
VEDB_TEST_REDIS_URL if set, else a Docker engine via testcontainers, else local binaries.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from tests.sql import fixture
from vedb import migrations
from vedb.databases import create_database, drop_database
from vedb.seed.command import seed_database
from vedb.settings import REPO_ROOT, Settings
from vedb.stack import Stack, StackError, start_stack
from vedb.stack.binaries import postgres_bin_dir, redis_server_binary

# Tests that start servers of their own (faults, restarts), beside the session's stack, need
# the binaries even when the stack itself comes from Docker or VEDB_TEST_*_URL.
needs_local_postgres = pytest.mark.skipif(
    postgres_bin_dir() is None, reason="needs initdb and pg_ctl on this machine"
)
needs_local_redis = pytest.mark.skipif(
    redis_server_binary() is None, reason="needs redis-server on this machine"
)


FIGURES: list[str] = []  # every figure the e2e tests report, repeated in pytest's summary


def report(line: str) -> None:
    """A figure on a line of its own: printed (with -s), and in the summary of every run, so
    a CI log shows it too."""
    print(f"\n{line}")
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def _git_status() -> str | None:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        return None
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="session", autouse=True)
def checkout_left_as_found() -> Iterator[None]:
    """The suite must leave the checkout as it found it: no tracked file edited, none added."""
    before = _git_status()
    yield
    after = _git_status()
    assert after == before, f"the tests changed the checkout:\n{after}"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    try:
        started = start_stack(Settings())
    except StackError as exc:
        pytest.fail(f"cannot start the test servers: {exc}", pytrace=False)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def fresh_db(stack: Stack) -> Iterator[str]:
    """An empty database of its own for one test."""
    url = create_database(stack.postgres.url)
    try:
        yield url
    finally:
        drop_database(url)


def migrated_database(stack: Stack) -> Iterator[str]:
    """A fresh database at migration head, dropped afterwards."""
    url = create_database(stack.postgres.url)
    try:
        migrations.apply_all(url)
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def migrated_db(stack: Stack) -> Iterator[str]:
    """A database at migration head, shared by one test module."""
    yield from migrated_database(stack)


@pytest.fixture
def conn(migrated_db: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection to the module's migrated database whose changes are rolled back."""
    with psycopg.connect(migrated_db) as connection:
        try:
            yield connection
        finally:
            connection.rollback()


# Today, so that "the last N days" queries find the seeded data whenever the tests run.
ANCHOR = datetime.now(UTC).date()


def seeded_database(stack: Stack, profile: str) -> Iterator[str]:
    """A fresh migrated database seeded with ``profile`` at ANCHOR, dropped afterwards."""
    url = create_database(stack.postgres.url)
    try:
        migrations.apply_all(url)
        seed_database(url, profile, 1, ANCHOR)
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def demo_db(stack: Stack) -> Iterator[str]:
    yield from seeded_database(stack, "demo")


@pytest.fixture(scope="session")
def load_db(stack: Stack) -> Iterator[str]:
    yield from seeded_database(stack, "load")


@pytest.fixture(params=["demo_db", "load_db"])
def seeded_db(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(request.param)
    return url


@pytest.fixture(scope="module")
def fixture_db(stack: Stack) -> Iterator[str]:
    """A migrated database holding the hand-built dataset of tests/sql/fixture.py."""
    for url in migrated_database(stack):
        fixture.load(url)
        yield url
