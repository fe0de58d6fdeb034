"""generate(): a whole deterministic dataset for a profile, as tables of columns for binary COPY."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from seeds import catalog, events, gamification, learning, people, social
from seeds.clock import DAY, SECOND, anchor_micros, local_day
from seeds.profiles import Profile
from vedb.seed.pgcopy import Column, jsonb, numeric, text

Table = list[Column]
# Every table a seed fills, in load (foreign key) order; generate() returns exactly these.
SEEDED_TABLES = (
    "learning.users",
    "learning.courses",
    "learning.lessons",
    "learning.enrollments",
    "learning.user_progress",
    "gamification.achievements",
    "gamification.user_achievements",
    "gamification.point_ledger",
    "gamification.streaks",
    "social.friendships",
    "social.follows",
    "analytics.behavior_log",
)


@dataclass(frozen=True)
class Dataset:
    profile: Profile
    seed: int
    anchor: date
    tables: dict[str, Table]  # qualified name -> columns, in load (foreign key) order

    def rows(self, table: str) -> int:
        return len(self.tables[table][0].values)


def _ints(name: str, values: np.ndarray, null: np.ndarray | None = None) -> Column:
    return Column(name, "int8", np.asarray(values, np.int64), null=null)


def _texts(name: str, values: list[bytes]) -> Column:
    return Column(name, "bytes", np.arange(len(values)), values)


def _labels(name: str, codes: np.ndarray, labels: list[str]) -> Column:
    return Column(name, "bytes", np.asarray(codes, np.int64), [text(v) for v in labels])


def generate(profile: Profile, seed: int, anchor: date) -> Dataset:
    """The same (profile, seed, anchor) always gives the same rows."""
    rng = np.random.default_rng([seed, *profile.name.encode()])
    end = anchor_micros(anchor)
    start = end - profile.days * DAY

    users = people.make_users(rng, profile, start, end)
    courses = catalog.make_courses(rng, profile, users)
    lessons = catalog.make_lessons(rng, courses)
    enr = learning.make_enrollments(rng, profile, users, courses)
    rows = learning.make_lesson_rows(rng, users, courses, lessons, enr)

    n_runs = int(rows.run.max(initial=-1)) + 1
    structured = events.Events.concat(
        [
            events.lesson_events(rng, rows, users.signup, 0),
            events.enrollment_events(rng, enr, users.signup, n_runs),
        ]
    )
    open_courses = courses.id[courses.published & (courses.n_lessons > 0)]
    first_browse = n_runs + len(enr.user_id)
    browsing = events.browsing_events(
        rng, users, open_courses, profile.events - len(structured), first_browse
    )
    log = events.finish(events.Events.concat([structured, browsing]), end)
    earned = gamification.achievements(log, users, courses)
    ledger = gamification.ledger(log, earned, courses)
    earned_at = log.at[earned.event]  # indexes the log before achievement events join it
    log = events.merge(log, gamification.achievement_events(log, earned))
    sessions = events.session_uuids(rng, first_browse + len(browsing))
    streaks = gamification.streaks(log, users, int(local_day(np.array([end]))[0]) - 1)

    tables: dict[str, Table] = {
        **_learning(users, ledger, courses, lessons, enr),
        "learning.user_progress": _progress(rng, rows),
        **_gamification(earned, earned_at, ledger, streaks),
        "social.friendships": _pairs(
            social.friendships(rng, profile, users, end),
            ("requester_id", "addressee_id"),
            with_status=True,
        ),
        "social.follows": _pairs(social.follows(rng, users, end), ("follower_id", "followee_id")),
        "analytics.behavior_log": _behavior_log(log, sessions),
    }
    return Dataset(profile, seed, anchor, tables)


def _learning(
    users: people.Users,
    ledger: gamification.Ledger,
    courses: catalog.Courses,
    lessons: catalog.Lessons,
    enr: learning.Enrollments,
) -> dict[str, Table]:
    points = np.bincount(ledger.user_id, weights=ledger.delta, minlength=len(users.id) + 1)
    return {
        "learning.users": [
            _ints("id", users.id),
            _texts("email", users.email),
            _texts("display_name", users.display_name),
            _labels("role", users.role, people.ROLES),
            _ints("points", points[1:].astype(np.int64)),
            Column("created_at", "timestamptz", users.signup),
        ],
        "learning.courses": [
            _ints("id", courses.id),
            _texts("slug", courses.slug),
            _texts("title", courses.title),
            _labels("level", courses.level, catalog.LEVELS),
            Column("is_published", "bool", courses.published),
            Column(
                "price",
                "bytes",
                courses.price.astype(np.int64),
                [numeric(p) for p in catalog.PRICES],
            ),
            _ints("teacher_id", courses.teacher_id),
            Column("created_at", "timestamptz", courses.created_at),
        ],
        "learning.lessons": [
            _ints("id", lessons.id),
            _ints("course_id", lessons.course_id),
            _ints("position", lessons.position),
            _texts("title", lessons.title),
            _ints("duration_minutes", lessons.duration_minutes),
        ],
        "learning.enrollments": [
            _ints("user_id", enr.user_id),
            _ints("course_id", enr.course_id),
            Column("enrolled_at", "timestamptz", enr.enrolled_at),
        ],
    }


def _gamification(
    earned: gamification.Earned,
    earned_at: npt.NDArray[np.int64],
    ledger: gamification.Ledger,
    streaks: gamification.Streaks,
) -> dict[str, Table]:
    return {
        "gamification.achievements": [
            _ints("id", np.arange(1, len(catalog.ACHIEVEMENTS) + 1)),
            _texts("code", [c.encode() for c, _, _ in catalog.ACHIEVEMENTS]),
            _texts("title", [t.encode() for _, t, _ in catalog.ACHIEVEMENTS]),
            _ints("points", np.array([p for _, _, p in catalog.ACHIEVEMENTS])),
        ],
        "gamification.user_achievements": [
            _ints("user_id", earned.user_id),
            _ints("achievement_id", earned.achievement + 1),
            Column("earned_at", "timestamptz", earned_at),
        ],
        "gamification.point_ledger": [
            _ints("id", np.arange(1, len(ledger.user_id) + 1)),
            _ints("user_id", ledger.user_id),
            _ints("delta", ledger.delta),
            _labels("reason", ledger.reason, gamification.REASONS),
            Column("occurred_at", "timestamptz", ledger.at),
        ],
        "gamification.streaks": [
            _ints("user_id", streaks.user_id),
            _ints("current_days", streaks.current),
            _ints("longest_days", streaks.longest),
            Column(
                "last_active_on", "date", streaks.last_active_day, null=streaks.last_active_day < 0
            ),
        ],
    }


def _behavior_log(log: events.Events, sessions: npt.NDArray[np.uint8]) -> Table:
    return [
        _ints("id", np.arange(1, len(log) + 1)),
        _ints("user_id", log.user_id),
        Column("session_id", "uuid", sessions[log.session]),
        _labels("event_type", log.kind, events.EVENT_TYPES),
        _ints("course_id", log.course_id, null=log.course_id == 0),
        _ints("lesson_id", log.lesson_id, null=log.lesson_id == 0),
        Column("occurred_at", "timestamptz", log.at),
        Column(
            "payload",
            "bytes",
            log.payload.astype(np.int64),
            [jsonb(p) for p in events.payloads([c for c, _, _ in catalog.ACHIEVEMENTS])],
        ),
    ]


PROGRESS_STATUSES = ["IN_PROGRESS", "COMPLETED"]
PERCENTS = [numeric(f"{p}.00") for p in range(101)]


def _progress(rng: np.random.Generator, rows: learning.LessonRows) -> Table:
    done = rows.completed
    percent = np.where(done, 100, rng.integers(5, 96, len(done)))
    updated = np.where(done, rows.completed_at, rows.started_at + 20 * SECOND)
    return [
        _ints("id", np.arange(1, len(done) + 1)),
        _ints("user_id", rows.user_id),
        _ints("course_id", rows.course_id),
        _ints("lesson_id", rows.lesson_id),
        _labels("status", done.astype(np.int64), PROGRESS_STATUSES),
        Column("progress_pct", "bytes", percent.astype(np.int64), PERCENTS),
        Column("started_at", "timestamptz", rows.started_at),
        Column("completed_at", "timestamptz", rows.completed_at, null=~done),
        Column("updated_at", "timestamptz", updated),
    ]


def _pairs(pairs: social.Pairs, names: tuple[str, str], with_status: bool = False) -> Table:
    columns = [_ints(names[0], pairs.a), _ints(names[1], pairs.b)]
    if with_status:
        columns.append(_labels("status", pairs.status, social.FRIENDSHIP_STATUSES))
    return [*columns, Column("created_at", "timestamptz", pairs.at)]
