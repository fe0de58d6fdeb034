"""A typed row model per query. tests/sql/test_row_models.py prepares every query against the
migrated schema and checks these fields and types against its result columns, so the SQL and
the Python types cannot drift apart."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DailyActiveUsers(Row):
    day: date
    active_users: int


class MonthlyActiveUsers(Row):
    month: date
    active_users: int


class LearningFunnel(Row):
    position: int
    stage: str
    learners: int
    rate_from_previous: float | None
    rate_from_enrolled: float | None


class CohortRetention(Row):
    cohort_week: date
    cohort_size: int
    week_number: int
    active_users: int
    retention: float | None


class Leaderboard(Row):
    rank: int
    user_id: int
    display_name: str
    points: int


class StudentBehaviorPattern(Row):
    user_id: int
    events: int
    events_by_hour_utc: list[int]
    events_by_weekday: list[int]  # ISO: Monday first
    favourite_event_types: list[str]
    sessions: int
    avg_session_minutes: float | None
    preferred_level: str | None


class CourseCompletionByLevel(Row):
    level: str
    published_courses: int
    enrollments: int
    completions: int
    completion_rate: float | None


class AtRiskStudents(Row):
    user_id: int
    display_name: str
    enrolled_courses: int
    avg_progress: float
    last_active_at: datetime | None
    days_inactive: int
    risk_score: float


class LessonEngagement(Row):
    lesson_id: int
    position: int
    title: str
    learners_started: int
    learners_completed: int
    events: int
    completion_rate: float | None


class CourseEngagementMetrics(Row):
    course_id: int
    title: str
    active_learners: int
    events: int
    events_per_learner: float | None
    lessons: list[LessonEngagement]


class TopCourses(Row):
    rank: int
    course_id: int
    title: str
    level: str
    enrollments: int
    completions: int
    active_learners_30d: int
    events_30d: int


class GamificationEffectiveness(Row):
    group: str
    students: int
    enrollments: int
    course_completion_rate: float | None
    avg_completed_lessons: float | None
    active_30d_rate: float | None


class LessonDropoff(Row):
    position: int
    lesson_id: int
    title: str
    started: int
    completed: int
    stopped_here: int
    dropoff_rate: float | None


class EngagementStickiness(Row):
    day: date
    dau: int
    mau: int
    stickiness: float | None


ROW_MODELS: dict[str, type[Row]] = {
    "daily_active_users": DailyActiveUsers,
    "monthly_active_users": MonthlyActiveUsers,
    "learning_funnel": LearningFunnel,
    "cohort_retention": CohortRetention,
    "leaderboard": Leaderboard,
    "student_behavior_pattern": StudentBehaviorPattern,
    "course_completion_by_level": CourseCompletionByLevel,
    "at_risk_students": AtRiskStudents,
    "course_engagement_metrics": CourseEngagementMetrics,
    "top_courses": TopCourses,
    "gamification_effectiveness": GamificationEffectiveness,
    "lesson_dropoff": LessonDropoff,
    "engagement_stickiness": EngagementStickiness,
}
