"""Runs a catalogue query: validate, then cache or PostgreSQL, then typed rows."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from vedb.analytics.cache import Cached, QueryCache, Status
from vedb.analytics.catalog import Query
from vedb.analytics.params import validate
from vedb.analytics.rows import ROW_MODELS, Row

READ_RETRY_DELAYS_S = (1.0, 2.0)  # after the first and the second lost connection

ConnectionSource = Callable[[], AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]]


class UnknownQuery(KeyError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown query {name!r}: choose one of {', '.join(sorted(known))}")


@dataclass(frozen=True)
class Result:
    query: Query
    params: dict[str, int | None]
    rows: list[Row]
    cache: Status
    computed_at: float  # epoch seconds: how old a cached answer is

    @property
    def age_s(self) -> int:
        return max(0, int(time.time() - self.computed_at))


def connect_to(url: str) -> ConnectionSource:
    """A connection source without a pool, for the CLI and one-off runs."""

    @asynccontextmanager
    async def source() -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            yield conn

    return source


class Analytics:
    def __init__(
        self,
        catalog: Mapping[str, Query],
        connection: ConnectionSource,
        cache: QueryCache | None = None,
    ) -> None:
        self.catalog = catalog
        self.connection = connection
        self.cache = cache
        self.executions = 0  # SQL statements actually run, for tests and metrics

    def query(self, name: str) -> Query:
        if name not in self.catalog:
            raise UnknownQuery(name, list(self.catalog))
        return self.catalog[name]

    async def run(self, name: str, raw_params: Mapping[str, object] | None = None) -> Result:
        """Typed rows, for the CLI and tests."""
        query = self.query(name)
        params = validate(query, raw_params or {})  # raises before the database is touched
        answer = await self.answer(query, params)
        model = ROW_MODELS[name]
        rows = [model.model_validate(item) for item in json.loads(answer.body)]
        return Result(query, params, rows, answer.status, answer.computed_at)

    async def answer(self, query: Query, params: dict[str, int | None]) -> Cached:
        """The JSON rows as bytes, from the cache when it has them: what the API serves."""
        model = ROW_MODELS[query.name]

        async def compute() -> bytes:
            rows = await self._fetch(query, params)
            return json.dumps(
                [model.model_validate(r).model_dump(mode="json") for r in rows],
                separators=(",", ":"),
            ).encode()

        if self.cache is None:
            computed_at = time.time()
            return Cached(await compute(), computed_at, "BYPASS")
        return await self.cache.get_or_compute(query, params, compute)

    async def _fetch(self, query: Query, params: dict[str, int | None]) -> list[dict[str, Any]]:
        # A read is safe to repeat: one whose connection was lost (a replica leaving the
        # rotation in a failover, a server restart) runs again on a fresh connection. The
        # retries are spread over about 3 s because HAProxy takes a stopped replica out only
        # after two failed checks: a retry at once can land on the other stopped replica.
        for delay_s in (*READ_RETRY_DELAYS_S, None):
            self.executions += 1
            try:
                async with self.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                    await cur.execute(query.sql, params)
                    return await cur.fetchall()
            except psycopg.errors.QueryCanceled:
                raise  # the statement timeout: the same query would only time out again
            except psycopg.OperationalError:
                if delay_s is None:
                    raise
                await asyncio.sleep(delay_s)
        raise AssertionError("unreachable")
