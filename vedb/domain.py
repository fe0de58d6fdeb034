"""Domain vocabularies shared by the seed factories and the API (the migrations' CHECKs agree)."""

from __future__ import annotations

from typing import Literal, get_args

EventType = Literal[
    "LOGIN", "LOGOUT", "COURSE_VIEW", "COURSE_ENROLL", "LESSON_START", "LESSON_COMPLETE",
    "QUIZ_SUBMIT", "VIDEO_PLAY", "VIDEO_PAUSE", "ACHIEVEMENT_EARNED", "POINTS_EARNED",
]  # fmt: skip
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
# Events about one lesson: they must name it (behavior_log_lesson_event_check).
LESSON_EVENTS = frozenset(
    {"LESSON_START", "LESSON_COMPLETE", "QUIZ_SUBMIT", "VIDEO_PLAY", "VIDEO_PAUSE"}
)
