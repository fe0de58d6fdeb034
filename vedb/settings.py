"""One place for configuration: environment variables prefixed ``VEDB_``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

StackBackend = Literal["auto", "docker", "local"]


def _default_state_file() -> Path:
    # A temp path, so `vedb stack down` leaves nothing behind once it removes it.
    return Path(tempfile.gettempdir()) / f"vedb-stack-{os.getuid()}.json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEDB_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="libpq URL of the application database"
    )
    read_database_url: str | None = Field(
        default=None,
        description="libpq URL of the analytics reads (a cluster's replicas); default database_url",
    )
    patroni_url: str | None = Field(
        default=None, description="a cluster's Patroni REST API, for /api/health's member list"
    )
    patroni_cafile: Path | None = Field(default=None, description="CA of patroni_url's TLS")
    redis_url: str | None = Field(default=None, description="Redis URL of the cache")
    test_database_url: str | None = Field(
        default=None, description="PostgreSQL server the tests use instead of starting one"
    )
    test_redis_url: str | None = Field(
        default=None, description="Redis server the tests use instead of starting one"
    )
    stack_backend: StackBackend = Field(
        default="auto", description="auto: Docker engine if one answers, else local binaries"
    )
    stack_state_file: Path = Field(default_factory=_default_state_file)
    migrations_dir: Path = REPO_ROOT / "migrations"
    queries_dir: Path = REPO_ROOT / "queries"

    # The API. Tokens map to scopes: "read" (aggregate analytics), "analytics" (also
    # student-level data), "ingest" (POST /api/events). From the environment as JSON, e.g.
    # VEDB_API_TOKENS='{"s3cret": ["analytics"]}', and/or a 0600 JSON file of the same shape.
    api_tokens: dict[str, list[str]] = Field(default_factory=dict)
    api_tokens_file: Path | None = None
    statement_timeout_ms: int = Field(default=5000, ge=1, description="per analytics query")
    pool_timeout_s: float = Field(default=2.0, gt=0, description="wait for a connection, then 503")
    pool_max_size: int = Field(default=10, ge=1)
    redis_timeout_s: float = Field(default=0.25, gt=0, description="then serve from PostgreSQL")
    max_batch_events: int = Field(default=500, ge=1)
    fold_interval_s: float = Field(
        default=1.0,
        ge=0,
        description="fold queued events into the rollups this often, in the API; 0: off",
    )
    events_retention_months: int | None = Field(
        default=None,
        ge=1,
        description="`vedb refresh` drops the event log's months before the current one and"
        " this many before it (whole partitions; the rollups keep their history); None: keep all",
    )
    near_cache_s: float = Field(
        default=1.0, ge=0, description="each worker keeps answers it read this long; 0: off"
    )
