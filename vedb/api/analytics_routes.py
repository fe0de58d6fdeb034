"""GET /api/analytics/<query>: one route per catalogue query, its parameters from the header.

Each route's signature is built from the header, so FastAPI validates the query string
(422 naming the parameter and its bound) and the OpenAPI spec documents every parameter.
"""

from __future__ import annotations

import inspect
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from vedb.access import ANALYTICS, READ
from vedb.analytics.cache import Cached
from vedb.analytics.catalog import BIGINT_MAX, Param
from vedb.analytics.catalog import Query as CatalogQuery
from vedb.analytics.rows import ROW_MODELS
from vedb.analytics.runner import Analytics
from vedb.api.auth import require

PREFIX = "/api/analytics/"
# Student-level answers: only tokens with the analytics scope may read them.
STUDENT_LEVEL = {"student_behavior_pattern", "at_risk_students"}


def _parameter(param: Param) -> inspect.Parameter:
    # Built at run time from the header: a type to FastAPI, an expression to mypy.
    annotation = Annotated[  # type: ignore[valid-type]
        int | None if param.nullable else int,
        Query(ge=param.low, le=param.high or BIGINT_MAX, description=param.describe()),
    ]
    default = inspect.Parameter.empty if param.required else param.default
    return inspect.Parameter(
        param.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def freshness_headers(answer: Cached, ttl: int) -> dict[str, str]:
    """How fresh the answer is: when it was computed, its age, and how long it stays valid."""
    age = max(0, int(time.time() - answer.computed_at))
    computed = datetime.fromtimestamp(answer.computed_at, UTC).isoformat(timespec="seconds")
    return {
        "X-Cache": answer.status,
        "X-Computed-At": computed,
        "Age": str(age),
        # Per-token data: only the client may keep it, and only for the TTL left.
        "Cache-Control": f"private, max-age={max(0, ttl - age)}",
    }


def _endpoint(query: CatalogQuery) -> Any:
    declared = {p.name for p in query.params}

    async def endpoint(request: Request, **params: int | None) -> Response:
        unknown = sorted(set(request.query_params) - declared)
        if unknown:
            detail = [
                {"loc": ["query", name], "msg": "unknown parameter", "type": "extra_forbidden"}
                for name in unknown
            ]
            raise HTTPException(422, detail)
        analytics: Analytics = request.app.state.analytics
        answer = await analytics.answer(query, params)
        return Response(
            answer.body,
            media_type="application/json",
            headers=freshness_headers(answer, query.cache_ttl),
        )

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
        + [_parameter(p) for p in query.params]
    )
    endpoint.__name__ = query.name
    return endpoint


def analytics_router(catalog: dict[str, CatalogQuery]) -> APIRouter:
    router = APIRouter(prefix=PREFIX.rstrip("/"), tags=["analytics"])
    for name, query in sorted(catalog.items()):
        scope = ANALYTICS if name in STUDENT_LEVEL else READ
        router.add_api_route(
            f"/{name}",
            _endpoint(query),
            methods=["GET"],
            name=name,
            summary=query.description,
            response_model=list[ROW_MODELS[name]],  # type: ignore[valid-type]
            dependencies=[Depends(require(scope))],
            responses={
                401: {"description": "no or unknown token"},
                403: {"description": f"the token lacks the {scope!r} scope"},
                503: {"description": "database unavailable"},
                504: {"description": "cancelled at the statement timeout"},
            },
        )
    return router
