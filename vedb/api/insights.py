"""/insights: the analytics as charts, for the people who read DAU, retention and funnels.

The page holds no data. Its script (static/insights.js) asks the same cached endpoints any
client asks, with the token the reader signs in with. The chart library, uPlot, is the npm
package web/insights/package-lock.json pins, copied into static/ (tests/api/test_insights.py
checks the copy), so nothing loads from a CDN and nothing needs `unsafe-eval`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html; charset=utf-8"}
# The page's own files, by the name it asks for: nothing else under static/ is served.
FILES = ("insights.js", "insights.css", "uPlot.iife.min.js", "uPlot.min.css")
# The reader's browser revalidates: a new release's script is used at the next load.
CACHING = {"Cache-Control": "no-cache"}


async def page() -> FileResponse:
    return FileResponse(STATIC / "insights.html", media_type=TYPES[".html"], headers=CACHING)


async def asset(name: str) -> FileResponse:
    if name not in FILES:
        raise HTTPException(404, f"no such file: {name}")
    path = STATIC / name
    return FileResponse(path, media_type=TYPES[path.suffix], headers=CACHING)


def insights_router() -> APIRouter:
    router = APIRouter(tags=["insights"])
    router.add_api_route(
        "/insights",
        page,
        methods=["GET"],
        response_class=FileResponse,
        summary="The analytics dashboard: sign in with a read token (at-risk needs analytics).",
    )
    router.add_api_route(
        "/insights/{name}",
        asset,
        methods=["GET"],
        response_class=FileResponse,
        include_in_schema=False,
    )
    return router
