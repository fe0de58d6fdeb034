"""Courses with lessons across the three levels, and the achievements catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from seeds.clock import DAY, I64
from seeds.people import TEACHER, Users
from seeds.profiles import Profile

LEVELS = ["BEGINNER", "INTERMEDIATE", "ADVANCED"]
TOPICS = [
    "budgeting",
    "saving",
    "investing",
    "stocks",
    "bonds",
    "taxes",
    "retirement",
    "credit",
    "insurance",
    "real-estate",
    "banking",
    "index-funds",
    "emergency-fund",
    "debt-payoff",
    "crypto-basics",
    "personal-finance",
]
PRICES = [Decimal("0.00"), Decimal("9.99"), Decimal("19.99"), Decimal("29.99"), Decimal("49.99")]

# code, title, points; earned only by gamified learners (see gamification.py for the rules).
ACHIEVEMENTS = [
    ("FIRST_LESSON", "First lesson completed", 10),
    ("FIVE_LESSONS", "Five lessons completed", 25),
    ("FIRST_COURSE", "First course completed", 50),
    ("QUIZ_ACE", "A quiz scored 95 or more", 20),
    ("NIGHT_OWL", "A lesson completed late at night", 10),
    ("STREAK_3", "Active three days in a row", 15),
    ("STREAK_7", "Active seven days in a row", 40),
    ("STREAK_30", "Active thirty days in a row", 100),
]


@dataclass(frozen=True)
class Courses:
    id: I64
    level: npt.NDArray[np.int8]
    published: npt.NDArray[np.bool_]
    price: npt.NDArray[np.int8]  # index into PRICES
    teacher_id: I64
    created_at: I64
    slug: list[bytes]
    title: list[bytes]
    n_lessons: I64
    first_lesson_id: I64  # lesson ids are contiguous per course, by position

    @property
    def lesson_count(self) -> int:
        return int(self.n_lessons.sum())


@dataclass(frozen=True)
class Lessons:
    id: I64
    course_id: I64
    position: I64
    duration_minutes: I64
    title: list[bytes]


def make_courses(rng: np.random.Generator, profile: Profile, users: Users) -> Courses:
    n = profile.courses
    ids = np.arange(1, n + 1, dtype=np.int64)
    level = rng.choice(3, size=n, p=[0.4, 0.35, 0.25]).astype(np.int8)
    published = rng.random(n) < 0.88
    price = rng.choice(len(PRICES), size=n, p=[0.3, 0.2, 0.2, 0.15, 0.15]).astype(np.int8)
    teachers = users.id[users.role == TEACHER]
    teacher_id = rng.choice(teachers, size=n)
    created_at = users.signup[teacher_id - 1] + (rng.uniform(1, 20, n) * DAY).astype(np.int64)
    low, high = profile.lessons
    # Drafts (unpublished) have up to three lessons, some none at all.
    n_lessons = np.where(published, rng.integers(low, high + 1, n), rng.integers(0, 4, n))
    first_lesson_id = np.cumsum(n_lessons) - n_lessons + 1
    topic = rng.integers(0, len(TOPICS), n)
    slug = [
        f"{TOPICS[t]}-{LEVELS[lv].lower()}-{i}".encode()
        for i, t, lv in zip(ids, topic, level, strict=True)
    ]
    title = [
        f"{TOPICS[t].replace('-', ' ').title()} ({LEVELS[lv].title()}) #{i}".encode()
        for i, t, lv in zip(ids, topic, level, strict=True)
    ]
    return Courses(
        ids,
        level,
        published,
        price,
        teacher_id,
        created_at,
        slug,
        title,
        n_lessons.astype(np.int64),
        first_lesson_id.astype(np.int64),
    )


def make_lessons(rng: np.random.Generator, courses: Courses) -> Lessons:
    course_id = np.repeat(courses.id, courses.n_lessons)
    position = (
        np.arange(len(course_id)) - np.repeat(courses.first_lesson_id - 1, courses.n_lessons) + 1
    )
    duration = rng.integers(5, 46, len(course_id))
    title = [f"Lesson {p}".encode() for p in position]
    return Lessons(
        np.arange(1, len(course_id) + 1, dtype=np.int64),
        course_id,
        position.astype(np.int64),
        duration,
        title,
    )
