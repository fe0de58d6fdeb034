"""Friendships between students (one per pair) and follows (teachers are followed most)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seeds.clock import DAY, I64
from seeds.people import TEACHER, Users
from seeds.profiles import Profile

FRIENDSHIP_STATUSES = ["ACCEPTED", "PENDING", "BLOCKED"]


@dataclass(frozen=True)
class Pairs:
    a: I64  # requester / follower
    b: I64  # addressee / followee
    at: I64
    status: npt.NDArray[np.int8]


def _after_both(rng: np.random.Generator, users: Users, a: I64, b: I64, end: int) -> I64:
    later = np.maximum(users.signup[a - 1], users.signup[b - 1])
    return np.asarray(
        np.minimum(later + (rng.exponential(5.0, len(a)) * DAY).astype(np.int64), end - 1), np.int64
    )


def friendships(rng: np.random.Generator, profile: Profile, users: Users, end: int) -> Pairs:
    students = users.students
    a = np.repeat(students, rng.poisson(profile.friends, len(students)))
    b = rng.choice(students, size=len(a))
    low, high = np.minimum(a, b), np.maximum(a, b)
    pairs, first = np.unique(low * (len(users.id) + 1) + high, return_index=True)
    low, high = pairs // (len(users.id) + 1), pairs % (len(users.id) + 1)
    keep = low != high
    low, high, requested_by_low = low[keep], high[keep], (a <= b)[first][keep]
    requester = np.where(requested_by_low, low, high)
    addressee = np.where(requested_by_low, high, low)
    status = rng.choice(3, size=len(requester), p=[0.8, 0.17, 0.03]).astype(np.int8)
    return Pairs(requester, addressee, _after_both(rng, users, requester, addressee, end), status)


def follows(rng: np.random.Generator, users: Users, end: int) -> Pairs:
    students = users.students
    follower = np.repeat(students, rng.poisson(1.5, len(students)))
    weight = np.where(users.role == TEACHER, 20.0, 1.0)
    followee = rng.choice(users.id, size=len(follower), p=weight / weight.sum())
    pairs = np.unique(follower * (len(users.id) + 1) + followee)
    follower, followee = pairs // (len(users.id) + 1), pairs % (len(users.id) + 1)
    keep = follower != followee
    follower, followee = follower[keep], followee[keep]
    none = np.zeros(len(follower), np.int8)
    return Pairs(follower, followee, _after_both(rng, users, follower, followee, end), none)
