"""Faults against real servers: Redis stopped and back, PostgreSQL restarted, a slow query."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.api.conftest import READ, TOKENS, serving
from tests.conftest import needs_local_postgres, needs_local_redis
from tests.sql import fixture
from vedb import migrations
from vedb.analytics.cache import RETRY_AFTER_S
from vedb.api.auth import load_tokens
from vedb.settings import Settings
from vedb.stack import Server
from vedb.stack.local import (
    pause_local,
    resume_local,
    start_local_postgres,
    start_local_redis,
    stop_local,
)

BOARD = "/api/analytics/leaderboard"


@needs_local_redis
async def test_redis_stopped_mid_run_then_back(settings: Settings) -> None:
    redis_server = start_local_redis()
    try:
        # No near cache: every request goes to Redis, so the outage shows at once.
        update = {"redis_url": redis_server.url, "near_cache_s": 0.0}
        async with serving(settings.model_copy(update=update)) as (_, client):
            assert (await client.get(BOARD, headers=READ)).headers["x-cache"] == "MISS"
            expected = (await client.get(BOARD, headers=READ)).json()
            stop_local(redis_server)
            down = [await client.get(BOARD, headers=READ) for _ in range(3)]
            assert [r.status_code for r in down] == [200, 200, 200]
            assert [r.headers["x-cache"] for r in down] == ["BYPASS"] * 3
            assert all(r.json() == expected for r in down)
            assert (await client.get("/api/health")).json()["status"] == "degraded"

            port = int(redis_server.url.rsplit(":", 1)[1].split("/")[0])
            password = redis_server.url.split(":")[2].split("@")[0]
            redis_server = start_local_redis(port=port, password=password)
            await asyncio.sleep(RETRY_AFTER_S + 0.1)  # the cache retries Redis after this pause
            back = [(await client.get(BOARD, headers=READ)).headers["x-cache"] for _ in range(2)]
            assert back == ["MISS", "HIT"]  # caching resumed, without a restart of the API
    finally:
        stop_local(redis_server)


@pytest.fixture
def own_postgres() -> Iterator[Server]:
    server = start_local_postgres()
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE vedb")
        url = server.url.rsplit("/", 1)[0] + "/vedb"
        migrations.apply_all(url)
        fixture.load(url)
        yield Server("postgres", url, "local", workdir=server.workdir)
    finally:
        stop_local(server)


@needs_local_postgres
async def test_postgres_restarted_mid_run(own_postgres: Server, settings: Settings) -> None:
    update = {"database_url": own_postgres.url, "redis_url": None, "pool_timeout_s": 1.0}
    async with serving(settings.model_copy(update=update)) as (_, client):
        assert (await client.get(BOARD, headers=READ)).status_code == 200
        pause_local(own_postgres)
        started = time.monotonic()
        outage = [await client.get(BOARD, headers=READ) for _ in range(3)]
        elapsed = time.monotonic() - started
        assert [r.status_code for r in outage] == [503, 503, 503]
        assert all("database unavailable" in r.json()["detail"] for r in outage)
        assert (await client.get("/api/health")).status_code == 503
        assert elapsed < 3 * 10  # bounded by the pool timeout: no call hangs
        resume_local(own_postgres)
        for _ in range(50):  # the pool reconnects by itself
            response = await client.get(BOARD, headers=READ)
            if response.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert response.status_code == 200 and [r["user_id"] for r in response.json()] == [
            1,
            2,
            3,
            4,
        ]
        assert (await client.get("/api/health")).json()["database"] == "up"


async def test_a_slow_query_is_cancelled_at_the_statement_timeout(
    settings: Settings, fixture_db: str
) -> None:
    update = {"statement_timeout_ms": 300, "redis_url": None}
    async with serving(settings.model_copy(update=update)) as (_, client):
        with psycopg.connect(fixture_db) as blocker:
            blocker.execute(
                "LOCK TABLE learning.users IN ACCESS EXCLUSIVE MODE"
            )  # held until rollback
            response = await client.get(BOARD, headers=READ)
            assert response.status_code == 504
            assert response.json() == {"detail": "query cancelled at the 300 ms statement timeout"}
            waiting = blocker.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename IS NOT NULL"
                " AND query LIKE '%%learning.users AS u%%' AND state = 'active' AND pid <> pg_backend_pid()"
            ).fetchone()
            assert waiting == (0,)  # cancelled, not left running
            blocker.rollback()
        assert (await client.get(BOARD, headers=READ)).status_code == 200


def test_tokens_come_from_a_0600_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"file-token": ["analytics"]}')
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_tokens(settings.model_copy(update={"api_tokens_file": path}))
    path.chmod(0o600)
    tokens = load_tokens(settings.model_copy(update={"api_tokens_file": path}))
    assert tokens["file-token"] == {"analytics", "read"} and tokens["read-token"] == set(
        TOKENS["read-token"]
    )
