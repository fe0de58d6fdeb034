"""Steady traffic through the API's public proxy while the cluster is failed over: ingest
batches at a fixed rate, analytics reads beside them, every answer recorded.

Bounded: each worker stops at `stop()` or after `max_s`, whichever is first, and every request
has its own timeout.
"""

from __future__ import annotations

import json
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

REQUEST_TIMEOUT_S = 5.0


@dataclass
class Answer:
    sent: float  # monotonic
    done: float
    ok: bool
    detail: str = ""
    ids: list[str] = field(default_factory=list)  # an ingest batch's client_event_ids


@dataclass
class Traffic:
    base_url: str
    context: ssl.SSLContext
    ingest_token: str
    read_token: str
    user_ids: list[int]
    batch_events: int = 20
    batches_per_s: float = 10.0
    reads_per_s: float = 10.0  # 0: no reads
    ingest_threads: int = 1  # each sends its batches_per_s, one batch at a time
    max_s: float = 300.0
    ingests: list[Answer] = field(default_factory=list)
    reads: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _request(self, path: str, token: str, body: bytes | None = None) -> tuple[bool, str]:
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=body,
            method="POST" if body is not None else "GET",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(
                request, timeout=REQUEST_TIMEOUT_S, context=self.context
            ) as response:
                response.read()
                return response.status == 200, str(response.status)
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code}: {exc.read(200).decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as exc:
            return False, str(exc)

    def _paced(self, per_s: float, step: callable) -> None:  # type: ignore[valid-type]
        started = time.monotonic()
        n = 0
        while not self._stop.is_set() and time.monotonic() - started < self.max_s:
            step()
            n += 1
            delay = started + n / per_s - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)

    def _ingest_once(self) -> None:
        now = datetime.now(UTC).isoformat()
        session = str(uuid.uuid4())
        events = [
            {
                "client_event_id": str(uuid.uuid4()),
                "user_id": random.choice(self.user_ids),  # noqa: S311 -- test data
                "session_id": session,
                "event_type": "LOGIN",
                "occurred_at": now,
            }
            for _ in range(self.batch_events)
        ]
        sent = time.monotonic()
        ok, detail = self._request(
            "/api/events", self.ingest_token, json.dumps({"events": events}).encode()
        )
        ids = [e["client_event_id"] for e in events]
        self.ingests.append(Answer(sent, time.monotonic(), ok, detail, ids))

    def _read_once(self, paths: list[str]) -> None:
        path = paths[len(self.reads) % len(paths)]
        sent = time.monotonic()
        ok, detail = self._request(path, self.read_token)
        self.reads.append(Answer(sent, time.monotonic(), ok, f"{path}: {detail}"))

    def start(self) -> None:
        # Distinct parameters, so most reads miss the cache and reach a replica.
        paths = [f"/api/analytics/daily_active_users?days={d}" for d in range(1, 366)]
        paths += [f"/api/analytics/leaderboard?limit={n}" for n in range(1, 101)]
        random.shuffle(paths)
        targets = [lambda: self._paced(self.batches_per_s, self._ingest_once)] * self.ingest_threads
        if self.reads_per_s > 0:
            targets.append(lambda: self._paced(self.reads_per_s, lambda: self._read_once(paths)))
        for target in targets:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT_S * 3)

    def acknowledged_ids(self) -> list[str]:
        return [i for a in self.ingests if a.ok for i in a.ids]

    def failed_reads(self, since: float = 0.0) -> list[Answer]:
        return [a for a in self.reads if not a.ok and a.sent >= since]

    def write_gap(self, since: float) -> float | None:
        """From the first failed ingest sent after ``since`` to the first accepted one after
        it (seconds); 0 when none failed, None when none was accepted again."""
        after = [a for a in self.ingests if a.sent >= since]
        failed = next((a for a in after if not a.ok), None)
        if failed is None:
            return 0.0
        recovered = next((a for a in after if a.ok and a.sent > failed.sent), None)
        return None if recovered is None else recovered.done - failed.sent
