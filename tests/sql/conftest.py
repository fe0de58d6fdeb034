from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.conftest import migrated_database
from tests.sql import fixture
from vedb.analytics.catalog import load_catalog
from vedb.analytics.runner import Analytics, connect_to
from vedb.settings import Settings
from vedb.stack import Stack

CATALOG = load_catalog(Settings().queries_dir)


@pytest.fixture(scope="module")
def fixture_db(stack: Stack) -> Iterator[str]:
    for url in migrated_database(stack):
        fixture.load(url)
        yield url


@pytest_asyncio.fixture
async def analytics(fixture_db: str) -> AsyncIterator[Analytics]:
    yield Analytics(CATALOG, connect_to(fixture_db))
