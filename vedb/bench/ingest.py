"""`vedb bench ingest`: sustained ingest through the API, and how soon the rollups catch up.

The bodies are built before the clock starts, from the log's last full day (its users,
sessions, courses and rhythm), copied onto earlier days with fresh client event ids until
there are enough, and serialised once: the writers only send bytes, so the generator costs
little of the machine. ``writers`` threads each keep one HTTP/1.1 connection and post batch
after batch; the rate counts acknowledged events. Then the bench waits for the event queue to
drain (the API's folder, every second) and says how long after the last acknowledgement.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg

from vedb.bench.queries import replay_day

QUEUED = "SELECT count(*) FROM analytics.event_queue"
DRAIN_BOUND_S = 120.0  # the wait for the folder is bounded; a slower drain is reported as such


class IngestBenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class IngestPlan:
    events: int
    batch: int
    writers: int


@dataclass(frozen=True)
class IngestRun:
    writers: int
    batch: int
    events: int
    seconds: float  # first post sent to last acknowledgement
    drained_after_s: float | None  # queue empty this long after the last acknowledgement
    duplicates: int

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _event(row: tuple[Any, ...], shift: timedelta, copy: int) -> dict[str, Any]:
    _, user_id, session_id, event_type, course_id, lesson_id, occurred_at, payload = row
    return {
        "client_event_id": str(uuid.uuid4()),
        "user_id": user_id,
        # A copy is a session of its own, as a real student's next day would be.
        "session_id": str(uuid.uuid5(session_id, str(copy))),
        "event_type": event_type,
        "course_id": course_id,
        "lesson_id": lesson_id,
        "occurred_at": (occurred_at - shift).isoformat(),
        "payload": json.loads(payload) if payload else {},
    }


def build_bodies(conn: psycopg.Connection[Any], events: int, batch: int) -> list[bytes]:
    """``events`` events as request bodies of ``batch`` each, none in the future."""
    day = replay_day(conn)
    if not day:
        raise IngestBenchError("the event log is empty: seed a profile first (vedb seed)")
    rows = list(zip(*day, strict=True))
    # replay_day moves the day two days on; these go back onto it and the days before it.
    built: list[dict[str, Any]] = []
    copy = 0
    while len(built) < events:
        shift = timedelta(days=2 + copy)
        built += [_event(row, shift, copy) for row in rows[: events - len(built)]]
        copy += 1
    return [
        json.dumps({"events": built[low : low + batch]}).encode()
        for low in range(0, len(built), batch)
    ]


def post_all(base: str, token: str, bodies: list[bytes], writers: int) -> tuple[float, int, int]:
    """Posts every body over ``writers`` connections; (seconds, accepted, duplicates)."""
    target = urlsplit(base)
    lock, position = threading.Lock(), iter(range(len(bodies)))
    totals = {"accepted": 0, "duplicates": 0}
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def writer() -> None:
        connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
        try:
            while not failures:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                connection.request("POST", "/api/events", bodies[index], headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status != 200:
                    failures.append(f"HTTP {response.status}: {answer[:300]!r}")
                    return
                result = json.loads(answer)
                with lock:
                    totals["accepted"] += result["accepted"]
                    totals["duplicates"] += result["duplicates"]
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise IngestBenchError(f"a batch was refused: {failures[0]}")
    return seconds, totals["accepted"], totals["duplicates"]


def drained_after(conn: psycopg.Connection[Any], since: float) -> float | None:
    """Seconds from ``since`` (perf_counter) until the event queue is empty; None past the bound."""
    while time.perf_counter() - since < DRAIN_BOUND_S:
        row = conn.execute(QUEUED).fetchone()
        if row is not None and row[0] == 0:
            return time.perf_counter() - since
        time.sleep(0.1)
    return None


def bench_ingest(
    database_url: str, base: str, token: str, plan: IngestPlan, say: Callable[[str], None]
) -> IngestRun:
    with psycopg.connect(database_url, autocommit=True) as conn:
        say(f"building {plan.events:,} events in batches of {plan.batch} ...")
        bodies = build_bodies(conn, plan.events, plan.batch)
        say(f"posting {len(bodies):,} batches over {plan.writers} connections ...")
        seconds, accepted, duplicates = post_all(base, token, bodies, plan.writers)
        acknowledged = time.perf_counter()
        say(f"{accepted:,} events acknowledged in {seconds:.1f} s; waiting for the fold ...")
        drained = drained_after(conn, acknowledged)
    return IngestRun(plan.writers, plan.batch, accepted, seconds, drained, duplicates)


def report(run: IngestRun, described: str, started_at: datetime) -> list[str]:
    drained = (
        f"{run.drained_after_s:.1f} s after the last acknowledgement"
        if run.drained_after_s is not None
        else f"not within {DRAIN_BOUND_S:.0f} s of the last acknowledgement"
    )
    return [
        f"{described}; started {started_at:%Y-%m-%d %H:%M:%S} UTC",
        f"{run.writers} writers posting batches of {run.batch}: {run.events:,} events "
        f"acknowledged in {run.seconds:.1f} s ({run.duplicates} duplicates)",
        f"sustained ingest through the API: {run.events_per_s:,.0f} events/s",
        f"event queue drained {drained}",
    ]
