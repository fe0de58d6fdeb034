"""Behaviour events derived from the learning timeline, plus browsing sessions.

Every lesson event comes from a lesson row (so it is for an enrolled course's lesson and
agrees with progress); browsing sessions top the log up to the profile's size, spread over
users by their activity, on the weekly and daily rhythm.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from seeds.clock import (
    I64,
    MINUTE,
    SECOND,
    WEEKEND_KEEP,
    local_day,
    minutes,
    rhythm_time,
    weekday,
)
from seeds.learning import Enrollments, LessonRows
from seeds.people import Users
from vedb.domain import EVENT_TYPES as DOMAIN_EVENT_TYPES

EVENT_TYPES = list(DOMAIN_EVENT_TYPES)  # events carry an index into this list
E = {name: code for code, name in enumerate(EVENT_TYPES)}
POSITION_STEP_S = 15
MAX_POSITION_S = 3600


def payloads(achievement_codes: list[str]) -> list[str]:
    """Payload catalogue; events carry an index into it. 0 is the empty object."""
    scores = [f'{{"score": {s}}}' for s in range(101)]
    positions = [f'{{"position_s": {p}}}' for p in range(0, MAX_POSITION_S + 1, POSITION_STEP_S)]
    codes = [f'{{"code": "{c}"}}' for c in achievement_codes]
    return ["{}", *scores, *positions, *codes]


SCORE_PAYLOAD = 1  # + score
POSITION_PAYLOAD = 1 + 101  # + position // POSITION_STEP_S
ACHIEVEMENT_PAYLOAD = POSITION_PAYLOAD + MAX_POSITION_S // POSITION_STEP_S + 1  # + index


@dataclass
class Events:
    user_id: I64
    at: I64
    kind: npt.NDArray[np.int8]
    course_id: I64  # 0 = NULL
    lesson_id: I64  # 0 = NULL
    session: I64  # index into the session uuids
    payload: npt.NDArray[np.int16]

    @classmethod
    def of(  # noqa: PLR0913, PLR0917 -- one argument per field of the record it builds
        cls,
        user_id: I64,
        at: I64,
        kind: int,
        session: I64,
        course_id: I64 | int = 0,
        lesson_id: I64 | int = 0,
        payload: I64 | int = 0,
    ) -> Events:
        n = len(user_id)
        return cls(
            user_id,
            at,
            np.full(n, kind, np.int8),
            np.broadcast_to(course_id, n).astype(np.int64),
            np.broadcast_to(lesson_id, n).astype(np.int64),
            session,
            np.broadcast_to(payload, n).astype(np.int16),
        )

    @classmethod
    def empty(cls) -> Events:
        none = np.zeros(0, np.int64)
        return cls.of(none, none, 0, none)

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> Events:
        return Events(*(getattr(self, f.name)[index] for f in fields(self)))

    def __len__(self) -> int:
        return len(self.at)


def lesson_events(
    rng: np.random.Generator, rows: LessonRows, signup: I64, first_session: int
) -> Events:
    n = len(rows.run)
    session = first_session + rows.run
    u, c, les, start = rows.user_id, rows.course_id, rows.lesson_id, rows.started_at
    took = rows.completed_at - start
    pause = rng.random(n) < 0.35
    pause_at = start + (took * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    position = np.minimum(
        (pause_at - start) // SECOND // POSITION_STEP_S, MAX_POSITION_S // POSITION_STEP_S
    )
    done, quiz = rows.completed, rows.score >= 0

    first_of_run = np.r_[True, rows.run[1:] != rows.run[:-1]]
    run_start = start[first_of_run]
    run_user = u[first_of_run]
    run_course = c[first_of_run]
    run_session = session[first_of_run]
    ends = np.where(done, rows.completed_at, np.where(pause, pause_at, start + 20 * SECOND))
    run_end = np.maximum.reduceat(ends, np.flatnonzero(first_of_run))
    login = np.maximum(run_start - minutes(rng, 1, 4, len(run_start)), signup[run_user - 1])
    view = np.maximum(run_start - 30 * SECOND, login)
    logout = rng.random(len(run_start)) < 0.5
    return Events.concat(
        [
            Events.of(run_user, login, E["LOGIN"], run_session),
            Events.of(run_user, view, E["COURSE_VIEW"], run_session, run_course),
            Events.of(u, start, E["LESSON_START"], session, c, les),
            Events.of(u, start + 20 * SECOND, E["VIDEO_PLAY"], session, c, les),
            Events.of(
                u[pause],
                pause_at[pause],
                E["VIDEO_PAUSE"],
                session[pause],
                c[pause],
                les[pause],
                POSITION_PAYLOAD + position[pause],
            ),
            Events.of(
                u[quiz],
                rows.completed_at[quiz] - 45 * SECOND,
                E["QUIZ_SUBMIT"],
                session[quiz],
                c[quiz],
                les[quiz],
                SCORE_PAYLOAD + rows.score[quiz],
            ),
            Events.of(
                u[done],
                rows.completed_at[done],
                E["LESSON_COMPLETE"],
                session[done],
                c[done],
                les[done],
            ),
            Events.of(run_user[logout], run_end[logout] + MINUTE, E["LOGOUT"], run_session[logout]),
        ]
    )


def enrollment_events(
    rng: np.random.Generator, enr: Enrollments, signup: I64, first_session: int
) -> Events:
    n = len(enr.user_id)
    session = first_session + np.arange(n)
    floor = signup[enr.user_id - 1]
    login = np.maximum(enr.enrolled_at - minutes(rng, 1, 3, n), floor)
    return Events.concat(
        [
            Events.of(enr.user_id, login, E["LOGIN"], session),
            Events.of(
                enr.user_id,
                np.maximum(enr.enrolled_at - 20 * SECOND, login),
                E["COURSE_VIEW"],
                session,
                enr.course_id,
            ),
            Events.of(enr.user_id, enr.enrolled_at, E["COURSE_ENROLL"], session, enr.course_id),
        ]
    )


def browsing_events(
    rng: np.random.Generator, users: Users, open_courses: I64, wanted: int, first_session: int
) -> Events:
    """Sessions of a login, a few course views and sometimes a logout: about 3.25 events."""
    if wanted <= 0:
        return Events.empty()
    students = users.students
    span = (users.active_end - users.signup)[students - 1].astype(np.float64)
    weight = users.activity[students - 1] * span
    sessions = int(wanted / 3.25 / WEEKEND_KEEP * 1.0) + 1
    who = rng.choice(students, size=sessions, p=weight / weight.sum())
    signup, end = users.signup[who - 1], users.active_end[who - 1]
    day = local_day(signup + (rng.random(sessions) * (end - signup)).astype(np.int64))
    keep = (weekday(day) < 5) | (rng.random(sessions) < WEEKEND_KEEP)
    keep &= np.cumsum(keep) <= int(wanted / 3.25) + 1
    who, day, signup, end = who[keep], day[keep], signup[keep], end[keep]
    login = np.clip(rhythm_time(rng, day), signup, end)
    session = first_session + np.arange(len(who))
    views = 1 + rng.poisson(1.5, len(who))
    view_user = np.repeat(who, views)
    step = np.arange(len(view_user)) - np.repeat(np.cumsum(views) - views, views) + 1
    view_at = np.repeat(login, views) + step * minutes(rng, 0.3, 3, len(view_user))
    last_view = view_at[np.cumsum(views) - 1]
    logout = rng.random(len(who)) < 0.5
    return Events.concat(
        [
            Events.of(who, login, E["LOGIN"], session),
            Events.of(
                view_user,
                view_at,
                E["COURSE_VIEW"],
                np.repeat(session, views),
                rng.choice(open_courses, size=len(view_user)),
            ),
            Events.of(
                who[logout],
                last_view[logout] + minutes(rng, 0.5, 2, int(logout.sum())),
                E["LOGOUT"],
                session[logout],
            ),
        ]
    )


def finish(events: Events, anchor: int) -> Events:
    """Drops anything after the anchor and orders the log by time, as a real log is."""
    events = events.take(events.at < anchor)
    return events.take(np.argsort(events.at, kind="stable"))


def merge(log: Events, extra: Events) -> Events:
    """Inserts ``extra`` (any order) into the time-ordered ``log``, keeping it ordered."""
    extra = extra.take(np.argsort(extra.at, kind="stable"))
    where = np.searchsorted(log.at, extra.at, side="right")
    return Events(
        *(np.insert(getattr(log, f.name), where, getattr(extra, f.name)) for f in fields(log))
    )


def session_uuids(rng: np.random.Generator, count: int) -> npt.NDArray[np.uint8]:
    raw = np.frombuffer(rng.bytes(16 * count), np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw
