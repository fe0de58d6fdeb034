"""The API in-process (httpx over ASGI, real lifespan) on the hand-built fixture database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis

from vedb.api.app import create_app
from vedb.settings import Settings
from vedb.stack import Stack

TOKENS = {
    "read-token": ["read"],
    "analytics-token": ["analytics"],
    "ingest-token": ["ingest"],
    "admin-token": ["admin"],
}
READ = {"Authorization": "Bearer read-token"}
ANALYTICS = {"Authorization": "Bearer analytics-token"}
INGEST = {"Authorization": "Bearer ingest-token"}
ADMIN = {"Authorization": "Bearer admin-token"}


@pytest.fixture
def settings(fixture_db: str, stack: Stack) -> Settings:
    redis.Redis.from_url(stack.redis.url).flushdb()
    return Settings(
        database_url=fixture_db,
        redis_url=stack.redis.url,
        api_tokens=TOKENS,
        test_database_url=None,
        test_redis_url=None,
        fold_interval_s=0.1,
    )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield app, client


@pytest_asyncio.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(settings) as (_, http):
        yield http
