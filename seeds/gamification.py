"""Points ledger for every student; streaks and achievements for the gamified ones.

Everything is read off the finished event log, so each achievement and ledger entry points
at a real event (its time and session), and users' points are exactly their ledger sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seeds.catalog import ACHIEVEMENTS, Courses
from seeds.clock import I64, local_day, local_hour
from seeds.events import ACHIEVEMENT_PAYLOAD, SCORE_PAYLOAD, E, Events
from seeds.people import Users

NIGHT_HOURS = (22, 23, 0, 1, 2, 3)
REASONS = ["LESSON_COMPLETED", "COURSE_COMPLETED", "QUIZ_PASSED", "ACHIEVEMENT"]
POINTS = {"LESSON_COMPLETED": 10, "COURSE_COMPLETED": 50, "QUIZ_PASSED": 5}
PASSING_SCORE = 70
CODE = {code: i for i, (code, _, _) in enumerate(ACHIEVEMENTS)}


@dataclass(frozen=True)
class Earned:
    user_id: I64
    achievement: I64  # index into ACHIEVEMENTS (id - 1)
    event: npt.NDArray[np.intp]  # the event that earned it


@dataclass(frozen=True)
class Ledger:
    user_id: I64
    delta: I64
    reason: npt.NDArray[np.int8]
    at: I64


@dataclass(frozen=True)
class Streaks:
    user_id: I64
    current: I64
    longest: I64
    last_active_day: I64  # local day number, -1 when never active


def _ranked(keys: I64, index: npt.NDArray[np.intp], rank: int) -> npt.NDArray[np.intp]:
    """Of the events ``index`` (in time order), the rank-th per key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    position = np.arange(len(order)) - np.maximum.accumulate(
        np.where(first, np.arange(len(order)), 0)
    )
    return np.asarray(index[order[position == rank]], np.intp)


def course_completions(events: Events, courses: Courses) -> npt.NDArray[np.intp]:
    """Events completing a course's last remaining lesson."""
    done = np.flatnonzero(events.kind == E["LESSON_COMPLETE"])
    key = events.user_id[done] * (len(courses.id) + 1) + events.course_id[done]
    order = np.argsort(key, kind="stable")
    k = key[order]
    first = np.r_[True, k[1:] != k[:-1]]
    rank = np.arange(len(k)) - np.maximum.accumulate(np.where(first, np.arange(len(k)), 0))
    last_needed = courses.n_lessons[events.course_id[done][order] - 1] - 1
    return np.sort(done[order][rank == last_needed])


def achievements(events: Events, users: Users, courses: Courses) -> Earned:
    gamified = users.gamified[events.user_id - 1]
    every = np.arange(len(events))
    complete = every[gamified & (events.kind == E["LESSON_COMPLETE"])]
    aced = every[
        gamified
        & (events.kind == E["QUIZ_SUBMIT"])
        & (events.payload >= SCORE_PAYLOAD + 95)
        & (events.payload <= SCORE_PAYLOAD + 100)
    ]
    late = complete[np.isin(local_hour(events.at[complete]), NIGHT_HOURS)]
    finished = course_completions(events, courses)
    finished = finished[gamified[finished]]
    found = {
        "FIRST_LESSON": _ranked(events.user_id[complete], complete, 0),
        "FIVE_LESSONS": _ranked(events.user_id[complete], complete, 4),
        "FIRST_COURSE": _ranked(events.user_id[finished], finished, 0),
        "QUIZ_ACE": _ranked(events.user_id[aced], aced, 0),
        "NIGHT_OWL": _ranked(events.user_id[late], late, 0),
    }
    days = _active_days(events)
    for length in (3, 7, 30):
        reached = days.first_event[(days.position == length - 1) & gamified[days.first_event]]
        found[f"STREAK_{length}"] = _ranked(events.user_id[reached], reached, 0)
    parts = [(np.full(len(idx), CODE[code]), idx) for code, idx in found.items()]
    event = np.concatenate([idx for _, idx in parts])
    return Earned(events.user_id[event], np.concatenate([c for c, _ in parts]), event)


def achievement_events(events: Events, earned: Earned) -> Events:
    return Events.of(
        earned.user_id,
        events.at[earned.event],
        E["ACHIEVEMENT_EARNED"],
        events.session[earned.event],
        payload=ACHIEVEMENT_PAYLOAD + earned.achievement,
    )


@dataclass(frozen=True)
class _Days:
    user_id: I64
    day: I64
    position: I64  # 0-based day number within a run of consecutive active days
    first_event: npt.NDArray[np.intp]  # the earliest event of that user on that day


def _active_days(events: Events) -> _Days:
    day = local_day(events.at)
    key = events.user_id * 100_000 + day
    unique, first_event = np.unique(key, return_index=True)  # events are in time order
    user_id, day = unique // 100_000, unique % 100_000
    new_run = np.r_[True, (user_id[1:] != user_id[:-1]) | (day[1:] != day[:-1] + 1)]
    starts = np.where(new_run, np.arange(len(day)), 0)
    position = np.arange(len(day)) - np.maximum.accumulate(starts)
    return _Days(user_id, day, position, first_event)


def streaks(events: Events, users: Users, anchor_day: int) -> Streaks:
    """A row per gamified student: current run (0 unless active yesterday or today), longest."""
    days = _active_days(events)
    members = users.id[users.gamified]
    longest = np.zeros(len(users.id) + 1, np.int64)
    np.maximum.at(longest, days.user_id, days.position + 1)
    last = np.full(len(users.id) + 1, -1, np.int64)
    run_length = np.zeros(len(users.id) + 1, np.int64)
    last[days.user_id] = days.day  # rows are sorted by day within a user: the last one wins
    run_length[days.user_id] = days.position + 1
    current = np.where(last[members] >= anchor_day - 1, run_length[members], 0)
    return Streaks(members, current, longest[members], last[members])


def ledger(events: Events, earned: Earned, courses: Courses) -> Ledger:
    complete = np.flatnonzero(events.kind == E["LESSON_COMPLETE"])
    passed = np.flatnonzero(
        (events.kind == E["QUIZ_SUBMIT"])
        & (events.payload >= SCORE_PAYLOAD + PASSING_SCORE)
        & (events.payload <= SCORE_PAYLOAD + 100)
    )
    finished = course_completions(events, courses)
    bonus = np.array([points for _, _, points in ACHIEVEMENTS], np.int64)[earned.achievement]
    parts = [
        (complete, np.full(len(complete), POINTS["LESSON_COMPLETED"]), 0),
        (finished, np.full(len(finished), POINTS["COURSE_COMPLETED"]), 1),
        (passed, np.full(len(passed), POINTS["QUIZ_PASSED"]), 2),
        (earned.event, bonus, 3),
    ]
    event = np.concatenate([p[0] for p in parts])
    delta = np.concatenate([p[1] for p in parts]).astype(np.int64)
    reason = np.concatenate([np.full(len(p[0]), p[2], np.int8) for p in parts])
    order = np.lexsort((reason, events.at[event]))
    return Ledger(
        events.user_id[event][order], delta[order], reason[order], events.at[event][order]
    )
