"""The database's health for admins: GET /api/admin/db-health (JSON), /admin/db-health (page).

The checks run on a connection of their own, as vedb_monitor (pg_monitor's statistics, no
table data), in a worker thread: they are psycopg's sync code and take a few milliseconds.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from psycopg import sql

from vedb.access import ADMIN, MONITOR_ROLE
from vedb.analytics.erasure import ForgetError, forget_async
from vedb.api.auth import require, scopes_of
from vedb.api.dashboard import PAGE
from vedb.dbhealth.report import run_checks


def _report(url: str, timeout_s: float) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout_s))) as conn:
        # Not a member (a login the deploy did not make): the checks see what the login sees.
        with contextlib.suppress(psycopg.Error):
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(MONITOR_ROLE)))
        return run_checks(conn).to_json()


async def db_health(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    try:
        return await asyncio.to_thread(_report, settings.database_url, settings.pool_timeout_s)
    except psycopg.OperationalError as exc:
        raise HTTPException(503, f"database unavailable: {str(exc).strip()}") from exc


async def dashboard() -> HTMLResponse:
    # The page holds no data: it fetches the JSON with the token the admin gives it.
    return HTMLResponse(PAGE, headers={"Cache-Control": "no-store"})


MONITOR_REALM = {"WWW-Authenticate": 'Basic realm="V-EdFinance monitoring", charset="UTF-8"'}


def _presented_token(header: str) -> str:
    """The token in HTTP basic auth's password (any user name), or a bearer token."""
    kind, _, value = header.partition(" ")
    if kind.lower() == "bearer":
        return value.strip()
    if kind.lower() != "basic":
        return ""
    try:
        return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        return ""


async def authorize(request: Request) -> Response:
    # nginx's auth_request asks this for every request to the monitor's UIs; a 401 carries
    # the challenge, which nginx passes on, so a browser shows its sign-in prompt.
    presented = _presented_token(request.headers.get("authorization", ""))
    if not presented:
        raise HTTPException(401, "sign in with an admin token as the password", MONITOR_REALM)
    scopes = scopes_of(request.app.state.tokens, presented)
    if scopes is None:
        raise HTTPException(401, "unknown token", MONITOR_REALM)
    if ADMIN not in scopes:
        raise HTTPException(403, "this token lacks the 'admin' scope")
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


async def forget_user(
    request: Request,
    user_id: Annotated[int, Path(gt=0, description="The user to erase")],
    dry_run: Annotated[
        bool, Query(description="Count what would go, and roll it all back")
    ] = False,
) -> dict[str, Any]:
    try:
        async with request.app.state.ingest_pool.connection() as conn:
            result = await forget_async(conn, user_id, dry_run=dry_run)
    except ForgetError as exc:
        raise HTTPException(404 if "no user" in str(exc) else 409, str(exc)) from None
    except psycopg.OperationalError as exc:
        raise HTTPException(503, f"database unavailable: {str(exc).strip()}") from exc
    cache = request.app.state.analytics.cache
    if not dry_run and cache is not None:
        await cache.invalidate()  # an answer cached before may name them
    return {
        "user_id": user_id,
        "dry_run": dry_run,
        "deleted": result.deleted,
        "total": result.total,
        "ms": round(result.seconds * 1000, 1),
    }


def admin_router() -> APIRouter:
    router = APIRouter(tags=["admin"])
    router.add_api_route(
        "/api/admin/db-health",
        db_health,
        methods=["GET"],
        dependencies=[Depends(require(ADMIN))],
        summary="PgHero's checks for this database (what `vedb health --json` prints).",
        responses={
            401: {"description": "no or unknown token"},
            403: {"description": "the token lacks the 'admin' scope"},
            503: {"description": "the database is unavailable"},
        },
    )
    router.add_api_route(
        "/api/admin/users/{user_id}",
        forget_user,
        methods=["DELETE"],
        dependencies=[Depends(require(ADMIN))],
        summary=(
            "Erase one user (the right to be forgotten): their row, every row of theirs and "
            "their share of the rollups, in one transaction; `?dry_run=true` only counts."
        ),
        responses={
            401: {"description": "no or unknown token"},
            403: {"description": "the token lacks the 'admin' scope"},
            404: {"description": "no such user"},
            409: {"description": "the user teaches courses: give them another teacher first"},
            503: {"description": "the database is unavailable"},
        },
    )
    router.add_api_route(
        "/api/admin/authorize",
        authorize,
        methods=["GET"],
        status_code=204,
        response_class=Response,
        summary=(
            "204 for an admin token, as HTTP basic auth's password or a bearer token: the "
            "proxy's check before Prometheus's and Alertmanager's UIs (docs/monitoring.md)."
        ),
        responses={
            401: {"description": "no or unknown token (with a basic auth challenge)"},
            403: {"description": "the token lacks the 'admin' scope"},
        },
    )
    router.add_api_route(
        "/admin/db-health",
        dashboard,
        methods=["GET"],
        response_class=HTMLResponse,
        summary="The health dashboard: give it an admin token as #token=... or in its form.",
    )
    return router
