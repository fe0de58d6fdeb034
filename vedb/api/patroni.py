"""A cluster's members for /api/health, from Patroni's REST API (GET /cluster on any member)."""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from pydantic import BaseModel

from vedb.settings import Settings

TIMEOUT_S = 1.0  # health must answer fast, even when a member does not


class Member(BaseModel):
    name: str
    role: str  # leader, sync_standby, replica
    state: str  # running, streaming, starting, stopped, ...
    timeline: int | None = None
    lag_bytes: int | None = None  # behind the leader; None on the leader


def members_of(cluster: dict[str, Any]) -> list[Member]:
    """Patroni's /cluster document as members; a lag Patroni cannot tell ("unknown") is None."""
    return [
        Member(
            name=str(m.get("name")),
            role=str(m.get("role")),
            state=str(m.get("state")),
            timeline=m.get("timeline"),
            lag_bytes=m["lag"] if isinstance(m.get("lag"), int) else None,
        )
        for m in cluster.get("members", [])
    ]


def _fetch(url: str, cafile: str | None) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=cafile) if url.startswith("https") else None
    with urllib.request.urlopen(f"{url}/cluster", timeout=TIMEOUT_S, context=context) as answer:  # noqa: S310
        document: dict[str, Any] = json.load(answer)
        return document


def members_now(settings: Settings) -> list[Member] | None:
    """:func:`cluster_members`, for a caller without an event loop (the CLI)."""
    if not settings.patroni_url:
        return None
    cafile = str(settings.patroni_cafile) if settings.patroni_cafile else None
    for url in settings.patroni_url.split(","):
        try:
            return members_of(_fetch(url.strip().rstrip("/"), cafile))
        except (urllib.error.URLError, OSError, ValueError):
            continue
    return []


async def cluster_members(settings: Settings) -> list[Member] | None:
    """Each member of every Patroni URL tried in turn (comma-separated): the first member that
    answers speaks for the cluster. None when no cluster is configured, [] when none answers."""
    return await asyncio.to_thread(members_now, settings)
