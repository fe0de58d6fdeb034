"""The analytics API: create_app() builds it; the lifespan owns the pools and the Redis client."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import psycopg
import psycopg_pool.base
import psycopg_pool.pool_async
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vedb import __version__
from vedb.access import APP_ROLE, READONLY_ROLE
from vedb.analytics.cache import QueryCache, redis_client
from vedb.analytics.catalog import load_catalog
from vedb.analytics.runner import Analytics
from vedb.api.admin import admin_router
from vedb.api.analytics_routes import analytics_router
from vedb.api.auth import load_tokens
from vedb.api.docs_page import add_docs
from vedb.api.events import events_router
from vedb.api.fast_path import CachedAnswers
from vedb.api.folding import folding
from vedb.api.insights import insights_router
from vedb.api.metrics import Metrics
from vedb.api.patroni import Member, cluster_members
from vedb.settings import Settings

HEAD_SQL = "SELECT migration_id FROM _yoyo_migration ORDER BY applied_at_utc DESC LIMIT 1"


class Health(BaseModel):
    status: Literal["ok", "degraded", "down"]
    database: Literal["up", "down"]
    redis: Literal["up", "down", "not configured"]
    migration_head: str | None
    version: str
    # A cluster's members as Patroni reports them; None on a single server.
    cluster: list[Member] | None = None


class _SteadyReconnect(psycopg_pool.base.AttemptWithBackoff):
    """psycopg_pool doubles the wait between reconnection attempts (1, 2, 4, 8, 16 s...). After
    a failover of 20 s its next attempt could come 15 s after the new leader is up: the write
    gap would nearly double. One attempt a second costs nothing and ends a gap at once."""

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, RECONNECT_EVERY_S)


RECONNECT_EVERY_S = 1.0
# The pool looks the class up in its module at each reconnection: this is the one hook.
setattr(psycopg_pool.pool_async, "AttemptWithBackoff", _SteadyReconnect)  # noqa: B010


def _pool(settings: Settings, url: str, role: str, name: str) -> AsyncConnectionPool[Any]:
    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        # Least privilege whatever the login: analytics read as vedb_readonly, ingest writes
        # as vedb_app. A statement timeout cancels anything slow instead of leaving it running.
        await conn.set_autocommit(True)
        await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        await conn.execute(
            sql.SQL("SET statement_timeout = {}").format(sql.Literal(settings.statement_timeout_ms))
        )
        # Ingest runs in explicit transactions; the analytics reads stay in autocommit.
        await conn.set_autocommit(role != APP_ROLE)

    return AsyncConnectionPool(
        url,
        min_size=1,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout_s,
        open=False,
        configure=configure,
        check=AsyncConnectionPool.check_connection,
        name=name,
        kwargs={"connect_timeout": max(1, int(settings.pool_timeout_s))},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if not settings.database_url:
        raise ValueError("VEDB_DATABASE_URL is not set")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        read_url = settings.read_database_url or database_url
        read_pool = _pool(settings, read_url, READONLY_ROLE, "analytics")
        write_pool = _pool(settings, database_url, APP_ROLE, "ingest")
        client = (
            redis_client(settings.redis_url, settings.redis_timeout_s)
            if settings.redis_url
            else None
        )
        # Don't wait: the API starts (and says 503) even while PostgreSQL is down.
        await read_pool.open(wait=False)
        await write_pool.open(wait=False)
        cache = QueryCache(client, near_s=settings.near_cache_s) if client is not None else None
        app.state.analytics = Analytics(catalog, read_pool.connection, cache)
        app.state.read_pool, app.state.ingest_pool, app.state.redis = read_pool, write_pool, client
        app.state.metrics.watch(app.state.analytics, read_pool, write_pool)
        try:
            async with folding(write_pool, settings.fold_interval_s):
                yield
        finally:
            await read_pool.close()
            await write_pool.close()
            if client is not None:
                await client.aclose()

    catalog = load_catalog(settings.queries_dir)
    app = FastAPI(
        title="V-EdFinance analytics API",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # add_docs serves it from local files
        redoc_url=None,  # it only loads from a CDN
    )
    app.state.settings = settings
    app.state.tokens = load_tokens(settings)
    app.state.metrics = Metrics()
    app.include_router(analytics_router(catalog))
    app.include_router(events_router())
    app.include_router(admin_router())
    app.include_router(insights_router())
    add_docs(app)
    _add_operations(app)
    return app


class TimeRequests:
    """Observes each request's latency per route; plain ASGI, so it adds no task per call."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = str(scope.get("vedb.route") or getattr(scope.get("route"), "path", "unmatched"))
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)


def _add_operations(app: FastAPI) -> None:
    app.add_middleware(CachedAnswers)
    # Added last, so it is outermost: it times the answers the fast path sends too.
    app.add_middleware(TimeRequests, metrics=app.state.metrics)

    @app.exception_handler(psycopg.errors.QueryCanceled)
    async def cancelled(request: Request, exc: Exception) -> JSONResponse:
        timeout = request.app.state.settings.statement_timeout_ms
        return JSONResponse(
            {"detail": f"query cancelled at the {timeout} ms statement timeout"}, 504
        )

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": f"database unavailable: {type(exc).__name__}"},
            503,
            headers={"Retry-After": "1"},
        )

    app.add_exception_handler(PoolTimeout, unavailable)
    app.add_exception_handler(psycopg.OperationalError, unavailable)

    @app.get(
        "/api/health",
        response_model=Health,
        tags=["operations"],
        responses={503: {"model": Health, "description": "the database does not answer"}},
    )
    async def health(request: Request) -> JSONResponse:
        head: str | None = None
        database: Literal["up", "down"] = "down"
        try:
            async with request.app.state.read_pool.connection() as conn:
                cursor = await conn.execute(HEAD_SQL)
                row = await cursor.fetchone()
                head, database = (row[0] if row else None), "up"
        except (PoolTimeout, psycopg.Error):
            pass
        redis_state: Literal["up", "down", "not configured"] = "not configured"
        if request.app.state.redis is not None:  # never a default Redis nobody configured
            redis_state = "down"
            with contextlib.suppress(RedisError):
                redis_state = "up" if await request.app.state.redis.ping() else "down"
        status: Literal["ok", "degraded", "down"] = (
            "down" if database == "down" else ("degraded" if redis_state == "down" else "ok")
        )
        body = Health(
            status=status,
            database=database,
            redis=redis_state,
            migration_head=head,
            version=__version__,
            cluster=await cluster_members(request.app.state.settings),
        )
        # A single server's answer stays as it was: "cluster" only where there is one.
        document = body.model_dump(exclude={"cluster"} if body.cluster is None else None)
        return JSONResponse(document, 503 if database == "down" else 200)

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def metrics(request: Request) -> Response:
        return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
