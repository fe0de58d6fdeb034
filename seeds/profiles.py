"""Size profiles: how many users, courses, days and events a seed produces."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    users: int
    courses: int
    days: int
    events: int  # target size of analytics.behavior_log; browsing sessions top it up
    lessons: tuple[int, int]  # lessons per published course, inclusive range
    enrollments: float  # mean courses per enrolling student
    friends: float  # mean friendships started per student


PROFILES = {
    p.name: p
    for p in (
        Profile(
            "demo",
            users=200,
            courses=25,
            days=30,
            events=6_000,
            lessons=(4, 10),
            enrollments=2.0,
            friends=2.0,
        ),
        Profile(
            "load",
            users=20_000,
            courses=200,
            days=180,
            events=1_000_000,
            lessons=(6, 16),
            enrollments=2.5,
            friends=3.0,
        ),
        Profile(
            "scale",
            users=100_000,
            courses=500,
            days=365,
            events=10_500_000,
            lessons=(6, 20),
            enrollments=3.0,
            friends=3.0,
        ),
    )
}
# scale's shape, ten times over; for the benches only (CI never seeds it).
PROFILES["huge"] = replace(
    PROFILES["scale"], name="huge", users=1_000_000, courses=2_000, events=88_000_000
)


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown profile {name!r}: choose one of {known}") from None
