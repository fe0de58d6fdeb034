"""Users: roles, signup dates spread over the period, heavy-tailed activity, churn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seeds.clock import DAY, F64, HOUR, I64, MINUTE, local_day, rhythm_time
from seeds.profiles import Profile

STUDENT, TEACHER, ADMIN = 0, 1, 2
ROLES = ["STUDENT", "TEACHER", "ADMIN"]
FIRST = [
    "an",
    "binh",
    "chi",
    "dung",
    "giang",
    "hai",
    "hoa",
    "hung",
    "khanh",
    "lan",
    "linh",
    "long",
    "mai",
    "minh",
    "nam",
    "ngoc",
    "phong",
    "quan",
    "thao",
    "trang",
    "tuan",
    "vy",
]
LAST = [
    "nguyen",
    "tran",
    "le",
    "pham",
    "hoang",
    "huynh",
    "phan",
    "vu",
    "vo",
    "dang",
    "bui",
    "do",
    "ho",
    "ngo",
    "duong",
    "ly",
]
DOMAINS = ["example.com", "example.org", "example.net"]


@dataclass(frozen=True)
class Users:
    id: I64
    role: npt.NDArray[np.int8]
    signup: I64  # created_at
    activity: F64  # mean 1, lognormal: a few very active users, many light ones
    gamified: npt.NDArray[np.bool_]  # opted into streaks and achievements
    active_end: I64  # last moment the user is active (churn), never after the anchor
    email: list[bytes]
    display_name: list[bytes]

    @property
    def students(self) -> I64:
        return np.asarray(self.id[self.role == STUDENT], np.int64)


def make_users(rng: np.random.Generator, profile: Profile, start: int, end: int) -> Users:
    n = profile.users
    ids = np.arange(1, n + 1, dtype=np.int64)
    role = np.zeros(n, np.int8)
    staff = rng.permutation(n)
    n_teachers = max(2, profile.courses // 2)
    n_admins = max(1, n // 200)
    role[staff[:n_teachers]] = TEACHER
    role[staff[n_teachers : n_teachers + n_admins]] = ADMIN

    # 15 % of students joined before the period; the rest sign up over it, more of them later.
    joined_before = rng.random(n) < 0.15
    growth = -1 + np.sqrt(1 + 3 * rng.random(n))  # density 1 + x on [0, 1]
    span = end - start - HOUR
    # Staff joined 90-150 days before the period: before the courses they teach were created.
    days_before = np.where(role == STUDENT, 0.0, 90.0) + rng.random(n) * 60
    signup_day = np.where(
        joined_before | (role != STUDENT),
        local_day(start - (days_before * DAY).astype(np.int64)),
        local_day(start + (growth * span).astype(np.int64)),
    )
    signup = np.minimum(rhythm_time(rng, signup_day), end - HOUR)

    activity = rng.lognormal(0.0, 1.4, n)
    activity /= activity.mean()
    gamified = (rng.random(n) < 0.4) & (role == STUDENT)
    # Retention decays week by week: a quarter churn within days, the rest over months,
    # and gamified learners stay about twice as long.
    early = rng.random(n) < 0.25
    mean_life = np.where(early, 4.0, np.where(gamified, 110.0, 45.0))
    lifetime = np.maximum(rng.exponential(mean_life) * DAY, 2 * HOUR).astype(np.int64)
    active_end = np.minimum(signup + lifetime, end - MINUTE)

    first = rng.integers(0, len(FIRST), n)
    last = rng.integers(0, len(LAST), n)
    domain = rng.integers(0, len(DOMAINS), n)
    email = [
        f"{FIRST[f]}.{LAST[la]}{i}@{DOMAINS[d]}".encode()
        for i, f, la, d in zip(ids, first, last, domain, strict=True)
    ]
    name = [
        f"{FIRST[f].title()} {LAST[la].title()}".encode() for f, la in zip(first, last, strict=True)
    ]
    return Users(ids, role, signup, activity, gamified, active_end, email, name)
