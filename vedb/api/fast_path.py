"""Cached analytics answers served before FastAPI routes the request.

A cached GET needs no dependency injection, no per-route validation model and no response
model: this plain ASGI middleware checks the token, the query string and the cache, and on a
hit sends the stored bytes. Anything else (a miss, a bad token, a parameter it does not take
as plainly valid) goes on to the FastAPI route, which answers exactly as it always does.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from vedb.access import ANALYTICS, READ
from vedb.analytics.params import INTEGER, ParamError, validate
from vedb.analytics.runner import Analytics
from vedb.api.analytics_routes import PREFIX, STUDENT_LEVEL, freshness_headers
from vedb.api.auth import scopes_of


class CachedAnswers:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(PREFIX)
            and await self._served(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _served(self, scope: Scope, send: Send) -> bool:
        state = scope["app"].state
        analytics: Analytics | None = getattr(state, "analytics", None)
        name = scope["path"][len(PREFIX) :]
        if analytics is None or analytics.cache is None or name not in analytics.catalog:
            return False
        if not self._authorised(state.tokens, scope, ANALYTICS if name in STUDENT_LEVEL else READ):
            return False
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        raw = dict(pairs)
        if len(raw) != len(pairs) or not all(INTEGER.fullmatch(v) for v in raw.values()):
            return False
        query = analytics.catalog[name]
        try:
            params = validate(query, raw)
        except ParamError:
            return False
        answer = await analytics.cache.lookup(query, params)
        if answer is None:
            return False
        scope["vedb.route"] = f"{PREFIX}{name}"  # the metrics label FastAPI's route would give
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(answer.body)).encode()),
        ]
        headers += [
            (k.lower().encode(), v.encode())
            for k, v in freshness_headers(answer, query.cache_ttl).items()
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        return True

    @staticmethod
    def _authorised(tokens: dict[str, set[str]], scope: Scope, needed: str) -> bool:
        for key, value in scope["headers"]:
            if key == b"authorization":
                kind, _, presented = value.decode("latin-1").partition(" ")
                if kind.lower() != "bearer" or not presented:
                    return False
                scopes = scopes_of(tokens, presented)
                return scopes is not None and needed in scopes
        return False
