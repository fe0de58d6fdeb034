"""Seeded databases, one per profile per test session module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from vedb import migrations
from vedb.databases import create_database, drop_database
from vedb.seed_command import seed_database
from vedb.stack import Stack

ANCHOR = date(2026, 11, 22)


def _seeded(stack: Stack, profile: str) -> Iterator[str]:
    url = create_database(stack.postgres.url)
    try:
        migrations.apply_all(url)
        seed_database(url, profile, 1, ANCHOR)
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="package")
def demo_db(stack: Stack) -> Iterator[str]:
    yield from _seeded(stack, "demo")


@pytest.fixture(scope="package")
def load_db(stack: Stack) -> Iterator[str]:
    yield from _seeded(stack, "load")


@pytest.fixture(params=["demo_db", "load_db"])
def seeded_db(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(request.param)
    return url
