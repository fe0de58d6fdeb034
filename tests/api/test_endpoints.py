"""Every endpoint's success, validation and auth cases on the hand-built fixture."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.conftest import ANALYTICS, INGEST, READ, serving
from tests.migrations.catalog import HEAD
from tests.sql.conftest import CATALOG
from vedb.settings import Settings

PARAMS = {
    "student_behavior_pattern": {"user_id": 1},
    "course_engagement_metrics": {"course_id": 2},
    "lesson_dropoff": {"course_id": 1},
}


async def test_health_reports_database_redis_and_migration_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "up",
        "redis": "up",
        "migration_head": HEAD,
        "version": "0.1.0",
    }


async def test_redis_down_is_degraded_not_down(settings: Settings) -> None:
    async with serving(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})) as (
        _,
        client,
    ):
        health = await client.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        rows = await client.get("/api/analytics/leaderboard", params={"limit": 3}, headers=READ)
        assert rows.status_code == 200 and rows.headers["x-cache"] == "BYPASS"
        assert [r["user_id"] for r in rows.json()] == [1, 2, 3]


async def test_without_redis_configured_health_pings_none(settings: Settings) -> None:
    async with serving(settings.model_copy(update={"redis_url": None})) as (_, client):
        health = (await client.get("/api/health")).json()
    assert (health["status"], health["redis"]) == ("ok", "not configured")


async def test_the_fast_path_answers_exactly_as_the_route_does(settings: Settings) -> None:
    url, params = "/api/analytics/top_courses", {"limit": 2}
    async with serving(settings.model_copy(update={"near_cache_s": 0.0})) as (_, client):
        miss = await client.get(url, params=params, headers=READ)  # the FastAPI route
        hit = await client.get(url, params=params, headers=READ)  # served before routing
        assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT")
        assert hit.content == miss.content
        assert hit.headers["x-computed-at"] == miss.headers["x-computed-at"]
        assert hit.headers["content-type"] == miss.headers["content-type"]
        # A cached answer is never a way around the token, the scope or the parameters.
        assert (await client.get(url, params=params)).status_code == 401
        bad = {"Authorization": "Bearer nope"}
        assert (await client.get(url, params=params, headers=bad)).status_code == 401
        student = "/api/analytics/at_risk_students"
        await client.get(student, headers=ANALYTICS)
        assert (await client.get(student, headers=READ)).status_code == 403
        for odd in ({"limit": "02"}, {"limit": "2", "x": "1"}, {"limit": "0"}):
            answer = await client.get(url, params=odd, headers=READ)
            assert answer.status_code == (200 if odd == {"limit": "02"} else 422), odd
        metrics = (await client.get("/metrics")).text
    assert 'route="/api/analytics/top_courses"' in metrics


@pytest.mark.parametrize("name", sorted(CATALOG))
async def test_every_analytics_endpoint_answers_then_hits(
    client: httpx.AsyncClient, name: str
) -> None:
    first = await client.get(
        f"/api/analytics/{name}", params=PARAMS.get(name, {}), headers=ANALYTICS
    )
    again = await client.get(
        f"/api/analytics/{name}", params=PARAMS.get(name, {}), headers=ANALYTICS
    )
    assert first.status_code == again.status_code == 200, first.text
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("MISS", "HIT")
    assert again.json() == first.json() and isinstance(first.json(), list)
    ttl = CATALOG[name].cache_ttl
    assert first.headers["cache-control"] == f"private, max-age={ttl}"
    assert int(again.headers["cache-control"].rsplit("=", 1)[1]) <= ttl


async def test_leaderboard_rows(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/analytics/leaderboard", params={"limit": 2}, headers=READ)
    assert response.json() == [
        {"rank": 1, "user_id": 1, "display_name": "Ana", "points": 120},
        {"rank": 1, "user_id": 2, "display_name": "Binh", "points": 120},
    ]


@pytest.mark.parametrize(
    ("path", "params", "param", "message"),
    [
        ("leaderboard", {"limit": 500}, "limit", "less than or equal to 100"),
        ("leaderboard", {"limit": 0}, "limit", "greater than or equal to 1"),
        ("leaderboard", {"limit": "ten"}, "limit", "valid integer"),
        ("lesson_dropoff", {}, "course_id", "Field required"),
        ("leaderboard", {"top": 3}, "top", "unknown parameter"),
    ],
)
async def test_bad_parameters_get_422_naming_the_parameter(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], param: str, message: str
) -> None:
    response = await client.get(f"/api/analytics/{path}", params=params, headers=READ)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["query", param] and message in detail["msg"]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/analytics/leaderboard", {}, 401),
        ("/api/analytics/leaderboard", {"Authorization": "Bearer wrong"}, 401),
        ("/api/analytics/leaderboard", {"Authorization": "Basic read-token"}, 401),
        ("/api/analytics/leaderboard", INGEST, 403),
        ("/api/analytics/at_risk_students", READ, 403),
        ("/api/analytics/at_risk_students", INGEST, 403),
        ("/api/analytics/student_behavior_pattern?user_id=1", INGEST, 403),
        ("/api/analytics/at_risk_students", ANALYTICS, 200),
    ],
)
async def test_tokens_and_scopes(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], status: int
) -> None:
    response = await client.get(path, headers=headers)
    assert response.status_code == status
    if status in (401, 403):
        assert set(response.json()) == {"detail"}  # never data


def event(**overrides: Any) -> dict[str, Any]:
    return {
        "client_event_id": str(uuid.uuid4()),
        "user_id": 4,
        "session_id": str(uuid.uuid4()),
        "event_type": "LOGIN",
        "occurred_at": datetime.now(UTC).isoformat(),
        **overrides,
    }


async def test_ingest_is_idempotent_and_keeps_cached_answers_for_their_ttl(
    client: httpx.AsyncClient, fixture_db: str
) -> None:
    dau = "/api/analytics/daily_active_users"
    before = await client.get(dau, params={"days": 1}, headers=READ)
    assert (await client.get(dau, params={"days": 1}, headers=READ)).headers["x-cache"] == "HIT"

    batch = {"events": [event(), event(event_type="COURSE_VIEW", course_id=1)]}
    first = await client.post("/api/events", json=batch, headers=INGEST)
    retried = await client.post("/api/events", json=batch, headers=INGEST)
    assert first.json() == {"accepted": 2, "duplicates": 0}
    assert retried.json() == {"accepted": 0, "duplicates": 2}

    # The cached answer stays valid for its TTL, and says when it was computed ...
    cached = await client.get(dau, params={"days": 1}, headers=READ)
    assert cached.headers["x-cache"] == "HIT" and cached.json() == before.json()
    assert cached.headers["x-computed-at"] == before.headers["x-computed-at"]
    assert 0 < int(cached.headers["cache-control"].rsplit("=", 1)[1]) <= 300
    # ... while the API's folder takes the queued events into the rollup within its interval.
    with psycopg.connect(fixture_db, autocommit=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM analytics.behavior_log WHERE user_id = 4"
        ).fetchone() == (2,)
        deadline = time.monotonic() + 10  # the fixture app folds every 0.1 s
        while True:
            row = conn.execute(
                "SELECT active_students FROM analytics.active_students_by_day"
                " WHERE day = (now() AT TIME ZONE 'UTC')::date"
            ).fetchone()
            if row == (before.json()[0]["active_users"] + 1,) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)  # lets the app's folder run
        queued = conn.execute("SELECT count(*) FROM analytics.event_queue").fetchone()
    assert row == (before.json()[0]["active_users"] + 1,)  # Dung
    assert queued == (0,)


@pytest.mark.parametrize(
    ("events", "status", "message"),
    [
        ([event(), event(user_id=999)], 422, "(user_id)=(999) is not present in table"),
        ([event(event_type="LESSON_START")], 422, "LESSON_START needs a lesson_id"),
        ([event(lesson_id=1)], 422, "lesson_id needs its course_id"),
        (
            [event(occurred_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())],
            422,
            "in the future",
        ),
        ([event(event_type="HACK")], 422, "Input should be"),
        ([event(occurred_at="2026-01-01T00:00:00")], 422, "timezone"),
        ([event(occurred_at=0)], 422, "RFC 3339"),
        ([event(user_id=4.0)], 422, "valid integer"),
        ([], 422, "at least 1"),
        ([event()] * 501, 422, "at most 500 events"),
    ],
)
async def test_bad_batches_are_refused_whole(
    client: httpx.AsyncClient, fixture_db: str, events: list[Any], status: int, message: str
) -> None:
    with psycopg.connect(fixture_db) as conn:
        before = conn.execute("SELECT count(*) FROM analytics.behavior_log").fetchone()
    response = await client.post("/api/events", json={"events": events}, headers=INGEST)
    assert response.status_code == status
    assert message in response.text
    with psycopg.connect(fixture_db) as conn:
        assert conn.execute("SELECT count(*) FROM analytics.behavior_log").fetchone() == before


async def test_ingest_needs_the_ingest_scope(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/events", json={"events": [event()]}, headers=ANALYTICS)
    assert response.status_code == 403


async def test_analytics_read_as_readonly_and_ingest_writes_as_app(settings: Settings) -> None:
    async with serving(settings) as (app, _):
        async with app.state.read_pool.connection() as conn:
            role = await (await conn.execute("SELECT current_user")).fetchone()
            assert role == ("vedb_readonly",)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await conn.execute("DELETE FROM analytics.behavior_log")
        async with app.state.ingest_pool.connection() as conn:
            assert await (await conn.execute("SELECT current_user")).fetchone() == ("vedb_app",)
            await conn.rollback()


async def test_metrics_and_openapi(client: httpx.AsyncClient) -> None:
    await client.get("/api/analytics/leaderboard", headers=READ)
    await client.get("/api/analytics/leaderboard", headers=READ)
    text = (await client.get("/metrics")).text
    assert (
        'vedb_http_request_duration_seconds_count{method="GET",route="/api/analytics/leaderboard",status="200"} 2.0'
        in text
    )
    assert 'vedb_cache_lookups_total{outcome="hit"} 1.0' in text
    assert 'vedb_pool_connections{pool="analytics",state="idle"}' in text
    spec = (await client.get("/openapi.json")).json()
    assert {f"/api/analytics/{name}" for name in CATALOG} | {"/api/events", "/api/health"} <= set(
        spec["paths"]
    )
    limit = spec["paths"]["/api/analytics/leaderboard"]["get"]["parameters"][0]["schema"]
    assert (limit.get("minimum"), limit.get("maximum")) == (1, 100)
    assert (await client.get("/docs")).status_code == 200


async def test_docs_load_nothing_from_outside(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # no CDN
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 500, source
    assert (await client.get("/redoc")).status_code == 404  # it can only load from a CDN
