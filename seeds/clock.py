"""Time as int64 microseconds since 2000-01-01 UTC (PostgreSQL's epoch), and daily rhythms.

Learners live in Vietnam (UTC+7): their hours and weekdays are local, the stored times UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
LOCAL_OFFSET = 7 * HOUR
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    """A timestamptz's binary value: microseconds since 2000-01-01 UTC."""
    return (moment - PG_EPOCH) // datetime.resolution


I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Relative activity by local hour: quiet nights, a lunch bump, busy evenings.
HOUR_WEIGHTS = np.array(
    [
        1.0,
        0.5,
        0.3,
        0.2,
        0.2,
        0.4,
        1.2,
        2.5,
        3.0,
        3.0,
        2.8,
        2.8,
        3.2,
        3.0,
        2.6,
        2.6,
        2.8,
        3.2,
        4.0,
        5.5,
        6.5,
        6.0,
        4.5,
        2.5,
    ]
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
WEEKEND_KEEP = 0.55  # a weekend day sees about half the activity of a weekday


def anchor_micros(day: date) -> int:
    """The end of the seeded period: midnight UTC starting ``day``."""
    return to_micros(datetime(day.year, day.month, day.day, tzinfo=UTC))


def local_day(t: I64) -> I64:
    return (t + LOCAL_OFFSET) // DAY


def weekday(day: I64) -> I64:
    """Monday=0 ... Sunday=6, for local day numbers (day 0, 2000-01-01, was a Saturday)."""
    return (day + 5) % 7


def local_hour(t: I64) -> I64:
    return ((t + LOCAL_OFFSET) % DAY) // HOUR


def rhythm_time(rng: np.random.Generator, day: I64) -> I64:
    """A time on each local ``day``, at an hour drawn from the daily rhythm."""
    hours = rng.choice(24, size=len(day), p=HOUR_P)
    within = rng.integers(0, HOUR, size=len(day))
    return day * DAY - LOCAL_OFFSET + hours * HOUR + within


def minutes(rng: np.random.Generator, low: float, high: float, n: int) -> I64:
    return (rng.uniform(low, high, n) * MINUTE).astype(np.int64)
