from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.sql import fixture
from vedb import migrations
from vedb.analytics.catalog import load_catalog
from vedb.analytics.runner import Analytics, connect_to
from vedb.databases import create_database, drop_database
from vedb.settings import Settings
from vedb.stack import Stack

CATALOG = load_catalog(Settings().queries_dir)


@pytest.fixture(scope="module")
def fixture_db(stack: Stack) -> Iterator[str]:
    url = create_database(stack.postgres.url)
    try:
        migrations.apply_all(url)
        fixture.load(url)
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def empty_db(stack: Stack) -> Iterator[str]:
    url = create_database(stack.postgres.url)
    try:
        migrations.apply_all(url)
        yield url
    finally:
        drop_database(url)


@pytest_asyncio.fixture
async def analytics(fixture_db: str) -> AsyncIterator[Analytics]:
    yield Analytics(CATALOG, connect_to(fixture_db))
