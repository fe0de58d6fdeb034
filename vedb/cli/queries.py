"""`vedb query`: one analytics query, as a table or JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import psycopg
import typer
from rich.table import Table

from vedb.analytics.cache import QueryCache
from vedb.analytics.cache import redis_client as cache_client
from vedb.analytics.catalog import CatalogError, load_catalog
from vedb.analytics.params import ParamError
from vedb.analytics.rows import ROW_MODELS
from vedb.analytics.runner import Analytics, Result, UnknownQuery, connect_to
from vedb.cli.app import (
    app,
    database_url,
    fail,
    load_settings,
    out,
)
from vedb.settings import Settings


@app.command("query")
def query_command(
    name: Annotated[str, typer.Argument(help="A query from queries/, e.g. leaderboard.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
    cache: Annotated[
        bool, typer.Option(help="Read and fill the Redis cache (VEDB_REDIS_URL).")
    ] = False,
) -> None:
    """Run one analytics query and print its rows as a table or JSON."""
    settings = load_settings()
    raw: dict[str, object] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--param {item!r}: use NAME=VALUE")
        if key in raw:
            raise fail(f"--param {key} is given twice: give each parameter once")
        raw[key] = value
    try:
        result = asyncio.run(run_query(settings, name, raw, cache))
    except (UnknownQuery, ParamError, CatalogError) as exc:
        raise fail(str(exc).strip('"')) from exc
    except psycopg.Error as exc:
        raise fail(f"database: {str(exc).strip()}") from exc
    rows = [row.model_dump(mode="json") for row in result.rows]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{name} v{result.query.version}  {result.params}  cache: {result.cache}")
    for column in ROW_MODELS[name].model_fields:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(json.dumps(v) if isinstance(v, list | dict) else str(v) for v in row.values())
        )
    out.print(table)


async def run_query(settings: Settings, name: str, raw: dict[str, object], cached: bool) -> Result:
    catalog = load_catalog(settings.queries_dir)
    redis_client = None
    query_cache = None
    if cached:
        if not settings.redis_url:
            raise fail("--cache needs VEDB_REDIS_URL")
        redis_client = cache_client(settings.redis_url, settings.redis_timeout_s)
        query_cache = QueryCache(redis_client)
    try:
        analytics = Analytics(catalog, connect_to(database_url(settings)), query_cache)
        return await analytics.run(name, raw)
    finally:
        if redis_client is not None:
            await redis_client.aclose()
