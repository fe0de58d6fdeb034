"""Bearer tokens with scopes, compared in constant time."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import HTTPException, Request

from vedb.access import IMPLIES
from vedb.settings import Settings


def load_tokens(settings: Settings) -> dict[str, set[str]]:
    tokens = {token: set(scopes) for token, scopes in settings.api_tokens.items()}
    if settings.api_tokens_file is not None:
        path = Path(settings.api_tokens_file)
        if path.stat().st_mode & 0o077:
            raise PermissionError(f"{path} is readable by others: chmod 600 it")
        for token, scopes in json.loads(path.read_text()).items():
            tokens[token] = tokens.get(token, set()) | set(scopes)
    return {token: _with_implied(scopes) for token, scopes in tokens.items()}


def _with_implied(scopes: set[str]) -> set[str]:
    return scopes.union(*(IMPLIES.get(scope, set()) for scope in scopes))


def scopes_of(tokens: dict[str, set[str]], presented: str) -> set[str] | None:
    """The scopes of ``presented``; every token is compared, so timing reveals nothing."""
    found: set[str] | None = None
    for token, scopes in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = scopes
    return found


def require(scope: str) -> Callable[[Request], Awaitable[None]]:
    async def check(request: Request) -> None:
        header = request.headers.get("authorization", "")
        kind, _, presented = header.partition(" ")
        if kind.lower() != "bearer" or not presented:
            raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        scopes = scopes_of(request.app.state.tokens, presented)
        if scopes is None:
            raise HTTPException(401, "unknown token", {"WWW-Authenticate": "Bearer"})
        if scope not in scopes:
            raise HTTPException(403, f"this token lacks the {scope!r} scope")

    return check
