from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from vedb.analytics.catalog import load_catalog
from vedb.analytics.runner import Analytics, connect_to
from vedb.settings import Settings

CATALOG = load_catalog(Settings().queries_dir)


@pytest_asyncio.fixture
async def analytics(fixture_db: str) -> AsyncIterator[Analytics]:
    yield Analytics(CATALOG, connect_to(fixture_db))
