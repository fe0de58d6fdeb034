"""Load personas for the analytics API, and the p95 / hit-rate gate.

    locust -f locustfiles/analytics.py --host http://127.0.0.1:8000 --token TOKEN
    locust -f locustfiles/analytics.py --headless -u 20 -r 5 -t 60s --host ... --token ...

The token comes from --token or VEDB_LOAD_TOKEN and needs the analytics and ingest scopes.
On quitting, the gate prints the summary and sets a non-zero exit code if a target is missed.
"""

from __future__ import annotations

import os
import random
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

# Locust puts the locustfile's directory on sys.path: the gate travels with this file.
from gate import CacheCounter, Targets, evaluate, percentile, text_table
from gevent.lock import Semaphore
from locust import FastHttpUser, between, events, runners, task
from locust.env import Environment

CACHE = CacheCounter()
LEADERBOARD_HIT_MS: list[float] = []
LEADERBOARD_MISS_MS: list[float] = []
ANALYTICS_PREFIX = "/api/analytics/"


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument(
        "--token",
        default=os.environ.get("VEDB_LOAD_TOKEN", ""),
        help="Bearer token with the analytics and ingest scopes",
    )
    parser.add_argument(
        "--p95-ms",
        type=float,
        default=Targets.p95_ms,
        help="p95 limit for every analytics endpoint and for all requests",
    )
    parser.add_argument(
        "--cached-p95-ms",
        type=float,
        default=Targets.cached_p95_ms,
        help="p95 limit for the leaderboard served from the cache",
    )
    parser.add_argument(
        "--min-hit-rate",
        type=float,
        default=Targets.min_hit_rate,
        help="cache hit rate to beat, 0..1, counted from X-Cache",
    )
    parser.add_argument("--max-failures", type=int, default=Targets.max_failures)
    parser.add_argument(
        "--worker-liveness-s",
        type=int,
        default=runners.HEARTBEAT_LIVENESS,
        help="distributed runs: seconds of missed heartbeats before the master counts a worker"
        " gone (locust's default 3; a starved machine's workers can stall longer)",
    )


@events.init.add_listener
def _liveness(environment: Environment, **_: Any) -> None:
    # The master reads this module-level setting each time a worker's heartbeat arrives.
    if isinstance(environment.runner, runners.MasterRunner) and environment.parsed_options:
        runners.HEARTBEAT_LIVENESS = environment.parsed_options.worker_liveness_s


@events.request.add_listener
def _count_cache(name: str, response: Any, response_time: float, exception: Any, **_: Any) -> None:
    if exception is not None or response is None or not name.startswith(ANALYTICS_PREFIX):
        return
    status = response.headers.get("X-Cache")
    CACHE.add(name, status)
    if name.startswith(ANALYTICS_PREFIX + "leaderboard"):
        (LEADERBOARD_HIT_MS if status == "HIT" else LEADERBOARD_MISS_MS).append(response_time)


@events.report_to_master.add_listener
def _send(client_id: str, data: dict[str, Any]) -> None:
    data["vedb_cache"] = CACHE.export()
    data["vedb_leaderboard"] = (list(LEADERBOARD_HIT_MS), list(LEADERBOARD_MISS_MS))
    CACHE.total.clear()
    CACHE.by_name.clear()
    LEADERBOARD_HIT_MS.clear()
    LEADERBOARD_MISS_MS.clear()


@events.worker_report.add_listener
def _receive(client_id: str, data: dict[str, Any]) -> None:
    CACHE.merge(data.get("vedb_cache", {}))
    hits, misses = data.get("vedb_leaderboard", ([], []))
    LEADERBOARD_HIT_MS.extend(hits)
    LEADERBOARD_MISS_MS.extend(misses)


@events.quitting.add_listener
def _gate(environment: Environment, **_: Any) -> None:
    if environment.runner is None or type(environment.runner).__name__ == "WorkerRunner":
        return
    options = environment.parsed_options
    if options is None:  # run as a library, without locust's command line: no targets to gate
        return
    targets = Targets(
        options.p95_ms, options.cached_p95_ms, options.min_hit_rate, options.max_failures
    )
    stats = environment.stats
    endpoints = {
        name: entry
        for (name, _), entry in stats.entries.items()
        if name.startswith(ANALYTICS_PREFIX)
    }
    p95 = {name: float(e.get_response_time_percentile(0.95)) for name, e in endpoints.items()}
    cached = percentile(LEADERBOARD_HIT_MS, 0.95) if LEADERBOARD_HIT_MS else None
    checks = evaluate(
        targets,
        p95,
        float(stats.total.get_response_time_percentile(0.95)),
        cached,
        CACHE.hit_rate,
        stats.total.num_failures,
    )
    rows = []
    for (name, method), entry in sorted(stats.entries.items()):
        counts = CACHE.by_name.get(name)
        rate = f"{counts['HIT'] / sum(counts.values()):.0%}" if counts else "-"
        percentiles = (f"{entry.get_response_time_percentile(q):.0f}" for q in (0.5, 0.95, 0.99))
        rows.append((f"{method} {name}", str(entry.num_requests), *percentiles, rate))
    header = ("endpoint", "requests", "p50", "p95", "p99", "hit rate")
    print(text_table("Latency per endpoint (ms)", header, rows))
    first = f"{LEADERBOARD_MISS_MS[0]:.1f} ms" if LEADERBOARD_MISS_MS else "-"
    hit_p50 = f"{percentile(LEADERBOARD_HIT_MS, 0.5):.1f} ms" if LEADERBOARD_HIT_MS else "-"
    print(
        f"Leaderboard: first call (MISS) {first}, cached (HIT) p50 {hit_p50}, "
        f"p95 {cached or 0:.1f} ms over {len(LEADERBOARD_HIT_MS)} hits"
    )
    print(f"Cache: {dict(CACHE.total)} -> hit rate {CACHE.hit_rate:.1%}")
    verdicts = [(c.name, c.value, c.target, "PASS" if c.passed else "FAIL") for c in checks]
    print(text_table("Targets", ("check", "measured", "target", "result"), verdicts))
    passed = all(c.passed for c in checks)
    print("ALL TARGETS MET" if passed else "TARGETS MISSED", flush=True)
    environment.process_exit_code = 0 if passed else 1


class ApiUser(FastHttpUser):
    abstract = True
    # Shared by every user of this process, filled once from the API.
    students: ClassVar[list[int]] = []
    courses: ClassVar[list[int]] = []
    ids_lock: ClassVar[Semaphore] = Semaphore()

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {self.environment.parsed_options.token}"}
        with ApiUser.ids_lock:  # one user per process learns the ids; the rest wait for them
            if not ApiUser.students:
                self._learn_ids()

    def _learn_ids(self) -> None:
        """Real student and course ids, from the API itself."""
        board = self.client.get(
            "/api/analytics/leaderboard?limit=100",
            headers=self.auth,
            name=ANALYTICS_PREFIX + "leaderboard",
        )
        ApiUser.students = [row["user_id"] for row in board.json()] or [1]
        top = self.client.get(
            "/api/analytics/top_courses?limit=20",
            headers=self.auth,
            name=ANALYTICS_PREFIX + "top_courses",
        )
        ApiUser.courses = [row["course_id"] for row in top.json()] or [1]

    def analytics(self, query: str, **params: int) -> None:
        self.client.get(
            ANALYTICS_PREFIX + query,
            params=params,
            headers=self.auth,
            name=ANALYTICS_PREFIX + query,
        )


class Student(ApiUser):
    weight = 6
    wait_time = between(1, 3)

    @task(3)
    def leaderboard(self) -> None:
        self.analytics("leaderboard", limit=10)

    @task(1)
    def my_pattern(self) -> None:
        self.analytics("student_behavior_pattern", user_id=random.choice(self.students[:20]))


class Teacher(ApiUser):
    weight = 2
    wait_time = between(2, 5)

    @task
    def engagement(self) -> None:
        self.analytics("course_engagement_metrics", course_id=random.choice(self.courses[:5]))

    @task
    def funnel(self) -> None:
        self.analytics("learning_funnel", course_id=random.choice(self.courses[:5]))

    @task
    def dropoff(self) -> None:
        self.analytics("lesson_dropoff", course_id=random.choice(self.courses[:5]))


class Dashboard(ApiUser):
    weight = 2
    wait_time = between(2, 5)

    @task(3)
    def daily(self) -> None:
        self.analytics("daily_active_users", days=30)

    @task
    def monthly(self) -> None:
        self.analytics("monthly_active_users", months=6)

    @task
    def retention(self) -> None:
        self.analytics("cohort_retention", weeks=8)

    @task
    def stickiness(self) -> None:
        self.analytics("engagement_stickiness", days=30)

    @task
    def top(self) -> None:
        self.analytics("top_courses", limit=10)

    @task
    def at_risk(self) -> None:
        self.analytics("at_risk_students", inactive_days=14, limit=50)

    @task
    def gamification(self) -> None:
        self.analytics("gamification_effectiveness")

    @task
    def levels(self) -> None:
        self.analytics("course_completion_by_level")


class EventWriter(ApiUser):
    weight = 1
    wait_time = between(5, 10)

    @task
    def ingest(self) -> None:
        now = datetime.now(UTC).isoformat()
        session = str(uuid.uuid4())
        events_ = [
            {
                "client_event_id": str(uuid.uuid4()),
                "user_id": random.choice(self.students),
                "session_id": session,
                "event_type": "LOGIN",
                "occurred_at": now,
            }
            for _ in range(random.randint(1, 20))
        ]
        self.client.post(
            "/api/events", json={"events": events_}, headers=self.auth, name="/api/events"
        )
