"""A read whose connection is lost runs again, later, on a fresh one (a replica leaving
HAProxy's rotation); a read that keeps failing gives up with the error."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest

from tests.sql.conftest import CATALOG
from vedb.analytics import runner
from vedb.analytics.runner import Analytics, ConnectionSource


def failing_first(url: str, failures: int) -> ConnectionSource:
    """The first `failures` connections go to a port where nothing listens (a stopped
    replica), the rest to the fixture's server."""
    attempts = [0]

    @asynccontextmanager
    async def source() -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        attempts[0] += 1
        target = url if attempts[0] > failures else "postgresql://127.0.0.1:9/vedb"
        async with await psycopg.AsyncConnection.connect(target, connect_timeout=2) as conn:
            yield conn

    return source


@pytest.fixture(autouse=True)
def short_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "READ_RETRY_DELAYS_S", (0.2, 0.4))


async def test_two_lost_connections_are_retried_after_a_pause(fixture_db: str) -> None:
    analytics = Analytics(CATALOG, failing_first(fixture_db, failures=2))
    started = time.monotonic()
    result = await analytics.run("leaderboard", {"limit": 3})
    assert len(result.rows) == 3 and analytics.executions == 3
    assert time.monotonic() - started >= 0.6  # both pauses were taken


async def test_a_read_that_keeps_failing_raises(fixture_db: str) -> None:
    analytics = Analytics(CATALOG, failing_first(fixture_db, failures=3))
    with pytest.raises(psycopg.OperationalError):
        await analytics.run("leaderboard", {"limit": 3})
    assert analytics.executions == 3
