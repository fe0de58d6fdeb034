"""POST /api/events: batch ingest, validated event by event, idempotent by client event id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from uuid import UUID

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Request
from psycopg_pool import AsyncConnectionPool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from vedb.access import INGEST
from vedb.api.auth import require
from vedb.domain import LESSON_EVENTS, EventType

CLOCK_SKEW = timedelta(minutes=5)
PG_BIGINT_MAX = 2**63 - 1


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_event_id: UUID
    # strict: 12.0 is not an id, and a number is not a timestamp (pydantic would accept both).
    user_id: int = Field(ge=1, le=PG_BIGINT_MAX, strict=True)
    session_id: UUID
    event_type: EventType
    course_id: int | None = Field(default=None, ge=1, le=PG_BIGINT_MAX, strict=True)
    lesson_id: int | None = Field(default=None, ge=1, le=PG_BIGINT_MAX, strict=True)
    occurred_at: AwareDatetime
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at", mode="before")
    @classmethod
    def rfc3339_text(cls, value: object) -> object:
        if not isinstance(value, str | datetime):
            raise ValueError("occurred_at must be an RFC 3339 date-time string")
        return value

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if self.lesson_id is not None and self.course_id is None:
            raise ValueError("lesson_id needs its course_id")
        if self.event_type in LESSON_EVENTS and self.lesson_id is None:
            raise ValueError(f"{self.event_type} needs a lesson_id")
        if self.occurred_at > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("occurred_at is in the future")
        return self


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventIn] = Field(min_length=1)


class IngestResult(BaseModel):
    accepted: int
    duplicates: int


INSERT = """
    INSERT INTO analytics.behavior_log
        (client_event_id, user_id, session_id, event_type, course_id, lesson_id, occurred_at,
         payload)
    SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::uuid[], %s::text[], %s::bigint[],
                         %s::bigint[], %s::timestamptz[], %s::jsonb[])
    -- The log is partitioned by month (migration 0031), so its unique key holds occurred_at
    -- too; a retried event carries the same occurred_at and so still meets its first copy.
    ON CONFLICT (client_event_id, occurred_at) WHERE client_event_id IS NOT NULL DO NOTHING
    RETURNING 1
"""


async def ingest(batch: EventBatch, request: Request) -> IngestResult:
    limit = request.app.state.settings.max_batch_events
    if len(batch.events) > limit:
        raise _refused(f"at most {limit} events per request, got {len(batch.events)}", "too_long")
    columns = list(
        zip(
            *(
                (
                    e.client_event_id,
                    e.user_id,
                    e.session_id,
                    e.event_type,
                    e.course_id,
                    e.lesson_id,
                    e.occurred_at,
                    json.dumps(e.payload),
                )
                for e in batch.events
            ),
            strict=True,
        )
    )
    pool: AsyncConnectionPool[Any] = request.app.state.ingest_pool
    try:
        async with pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(INSERT, [list(c) for c in columns])
            accepted = len(await cursor.fetchall())
    except (psycopg.errors.ForeignKeyViolation, psycopg.errors.CheckViolation) as exc:
        # The whole batch is refused: nothing is half-applied.
        if (exc.diag.message_primary or "").startswith("no partition of relation"):
            raise _refused(
                "batch refused: an event's occurred_at is in a month the event log has no"
                f" partition for ({exc.diag.message_detail})",
                "occurred_at_out_of_range",
            ) from exc
        reason = f"batch refused: {exc.diag.message_detail or exc}"
        raise _refused(reason, exc.diag.constraint_name or "integrity") from exc
    # The transaction queued the new events' ids (migration 0023); the API's folder takes them
    # into the rollups within VEDB_FOLD_INTERVAL_S. Cached answers are not invalidated: they
    # stay valid for their TTL and say when they were computed.
    return IngestResult(accepted=accepted, duplicates=len(batch.events) - accepted)


def _refused(message: str, kind: str) -> HTTPException:
    """A 422 in FastAPI's documented validation-error shape."""
    return HTTPException(422, [{"loc": ["body", "events"], "msg": message, "type": kind}])


def events_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["ingest"])
    router.add_api_route(
        "/events",
        ingest,
        methods=["POST"],
        response_model=IngestResult,
        dependencies=[Depends(require(INGEST))],
        summary="Ingest a batch of behaviour events; a retried batch never duplicates.",
        responses={
            400: {"description": "the body is not JSON"},
            401: {"description": "no or unknown token"},
            403: {"description": "the token lacks the 'ingest' scope"},
            503: {"description": "database unavailable"},
        },
    )
    return router
