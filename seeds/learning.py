"""Enrollments and each learner's way through a course's lessons, with drop-off.

Each enrollment plans a number of consecutive completions (geometric: at every lesson the
learner goes on with a probability that falls with the course level and rises with
gamification), then the timeline is cut where the learner churns. What survives the cut
is the truth that both progress rows and behaviour events are derived from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seeds.catalog import Courses, Lessons
from seeds.clock import F64, I64, MINUTE, local_day, rhythm_time, weekday
from seeds.people import Users
from seeds.profiles import Profile

CONTINUE_BY_LEVEL = np.array([0.90, 0.85, 0.78])  # BEGINNER, INTERMEDIATE, ADVANCED


@dataclass(frozen=True)
class Enrollments:
    user_id: I64
    course_id: I64
    enrolled_at: I64


@dataclass(frozen=True)
class LessonRows:
    """One row per lesson a learner started, in enrollment then position order."""

    enrollment: I64  # index into Enrollments
    user_id: I64
    course_id: I64
    lesson_id: I64
    started_at: I64
    completed_at: I64
    completed: npt.NDArray[np.bool_]
    run: I64  # same-day runs of lessons: one study session each
    score: I64  # quiz score, -1 when no quiz was submitted


def _segment_positions(counts: I64) -> I64:
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def make_enrollments(
    rng: np.random.Generator, profile: Profile, users: Users, courses: Courses
) -> Enrollments:
    students = users.students
    open_courses = courses.id[courses.published & (courses.n_lessons > 0)]
    popularity = 1.0 / np.arange(1, len(open_courses) + 1) ** 0.8
    popularity = rng.permutation(popularity / popularity.sum())
    activity = users.activity[students - 1]
    wanted = 1 + rng.poisson((profile.enrollments - 1) * activity**0.3)
    wanted = np.where(rng.random(len(students)) < 0.1, 0, np.minimum(wanted, 10))  # browsers
    user_id = np.repeat(students, wanted)
    course_id = rng.choice(open_courses, size=len(user_id), p=popularity)
    key = np.unique(user_id * (courses.id.max() + 1) + course_id)
    user_id, course_id = key // (courses.id.max() + 1), key % (courses.id.max() + 1)

    signup, end = users.signup[user_id - 1], users.active_end[user_id - 1]
    when = signup + (rng.random(len(user_id)) ** 2 * (end - signup)).astype(np.int64)
    at = rhythm_time(rng, local_day(when))
    enrolled_at = np.minimum(np.maximum(at, signup + MINUTE), end)
    return Enrollments(user_id, course_id, enrolled_at)


def make_lesson_rows(
    rng: np.random.Generator, users: Users, courses: Courses, lessons: Lessons, enr: Enrollments
) -> LessonRows:
    u = enr.user_id - 1
    c = enr.course_id - 1
    gamified = users.gamified[u]
    activity = users.activity[u]
    n_lessons = courses.n_lessons[c]
    starts = rng.random(len(u)) < np.where(gamified, 0.92, 0.8)
    go_on = np.clip(
        CONTINUE_BY_LEVEL[courses.level[c]] + 0.05 * gamified + 0.02 * np.log(activity), 0.5, 0.98
    )
    planned = np.floor(np.log(rng.random(len(u))) / np.log(go_on)).astype(np.int64)
    planned = np.minimum(planned, n_lessons)  # completions the learner would reach
    rows = np.where(starts, np.minimum(n_lessons, planned + 1), 0)

    e = np.repeat(np.arange(len(u)), rows)
    pos = _segment_positions(rows)
    day = _study_days(rng, e, pos, local_day(enr.enrolled_at[e]), activity[e])

    new_run = (pos == 0) | (day != np.roll(day, 1))
    run = np.cumsum(new_run) - 1
    run_start = rhythm_time(rng, day[new_run])
    first_allowed = enr.enrolled_at[e[new_run]] + 2 * MINUTE
    run_start = np.maximum(run_start, first_allowed)

    lesson_id = courses.first_lesson_id[c[e]] + pos
    took = (
        lessons.duration_minutes[lesson_id - 1] * rng.uniform(0.8, 1.5, len(e)) * MINUTE
    ).astype(np.int64)
    slot = took + (rng.uniform(2, 10, len(e)) * MINUTE).astype(np.int64)
    within_run = _exclusive_segment_cumsum(slot, new_run)
    started_at = run_start[run] + within_run
    completed_at = started_at + took
    end = users.active_end[u[e]]
    completed = (pos < planned[e]) & (completed_at <= end)
    started = started_at <= end

    level = courses.level[c[e]]
    quiz = completed & (rng.random(len(e)) < 0.7)
    mean_score = 80 - 6 * level + 4 * gamified[e]
    score = np.where(quiz, np.clip(np.rint(rng.normal(mean_score, 14)), 0, 100), -1)

    keep = started
    return LessonRows(
        enrollment=e[keep],
        user_id=enr.user_id[e][keep],
        course_id=enr.course_id[e][keep],
        lesson_id=lesson_id[keep],
        started_at=started_at[keep],
        completed_at=completed_at[keep],
        completed=completed[keep],
        run=_renumber(run[keep]),
        score=score[keep].astype(np.int64),
    )


def _study_days(rng: np.random.Generator, e: I64, pos: I64, enroll_day: I64, activity: F64) -> I64:
    """Local days on which each lesson is studied: gaps shrink with activity, weekends thin."""
    mean_gap = np.where(pos == 0, 1.0, 2.0 / activity**0.3)
    gap = np.floor(rng.exponential(mean_gap)).astype(np.int64)
    day = enroll_day + _exclusive_segment_cumsum(gap, pos == 0) + gap
    wd = weekday(day)
    pushed = (wd >= 5) & (rng.random(len(day)) > 0.55)
    day = np.where(pushed, day + 7 - wd, day)  # to Monday
    return day[np.lexsort((day, e))]  # keep lessons in order within each enrollment


def _exclusive_segment_cumsum(values: I64, segment_start: npt.NDArray[np.bool_]) -> I64:
    total = np.cumsum(values)
    before = total - values
    base = np.maximum.accumulate(np.where(segment_start, before, 0))
    return before - base


def _renumber(run: I64) -> I64:
    _, dense = np.unique(run, return_inverse=True)
    return dense.astype(np.int64)
