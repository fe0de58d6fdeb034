"""Chooses where each server comes from, starts and stops them, and remembers a detached stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from vedb.settings import Settings
from vedb.stack import local
from vedb.stack.binaries import (
    PG_INSTALL_HINT,
    REDIS_INSTALL_HINT,
    postgres_bin_dir,
    redis_server_binary,
)
from vedb.stack.servers import Kind, Server, Source, StackError


@dataclass(frozen=True)
class Stack:
    postgres: Server
    redis: Server

    @property
    def servers(self) -> tuple[Server, Server]:
        return (self.postgres, self.redis)

    def stop(self) -> None:
        errors = []
        for server in self.servers:
            try:
                stop_server(server)
            except StackError as exc:
                errors.append(str(exc))
        if errors:
            raise StackError("; ".join(errors))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({s.kind: s.to_dict() for s in self.servers}, indent=2))
        path.chmod(0o600)  # the URLs carry the servers' passwords

    @classmethod
    def load(cls, path: Path) -> Stack | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(Server.from_dict(data["postgres"]), Server.from_dict(data["redis"]))


def _containers() -> ModuleType | None:
    """The testcontainers path, or None where the `ops` extra is not installed (an API host)."""
    try:
        from vedb.stack import containers  # noqa: PLC0415 -- only where Docker may be used
    except ImportError:
        return None
    return containers


def docker_answers() -> bool:
    containers = _containers()
    return containers is not None and bool(containers.docker_answers())


def choose_source(kind: Kind, settings: Settings) -> Source:
    """Override URL, then a Docker engine, then local binaries; the error names the fix."""
    override = settings.test_database_url if kind == "postgres" else settings.test_redis_url
    if override:
        return "external"
    if settings.stack_backend in ("auto", "docker") and docker_answers():
        return "docker"
    if settings.stack_backend == "docker":
        if _containers() is None:
            raise StackError(
                "VEDB_STACK_BACKEND=docker needs testcontainers: pip install 'vedb[ops]'"
            )
        raise StackError("VEDB_STACK_BACKEND=docker, but no Docker engine answers")
    found = postgres_bin_dir() if kind == "postgres" else redis_server_binary()
    if found is None:
        hint = PG_INSTALL_HINT if kind == "postgres" else REDIS_INSTALL_HINT
        raise StackError(f"No way to start {kind}: {hint}.")
    return "local"


def _container_starter(kind: Kind) -> Callable[[], Server]:
    def start() -> Server:
        containers = _containers()
        assert containers is not None  # choose_source said "docker"
        starter: Callable[[], Server] = getattr(containers, f"start_container_{kind}")
        return starter()

    return start


_STARTERS: dict[tuple[Kind, Source], Callable[[], Server]] = {
    ("postgres", "local"): local.start_local_postgres,
    ("redis", "local"): local.start_local_redis,
    ("postgres", "docker"): _container_starter("postgres"),
    ("redis", "docker"): _container_starter("redis"),
}


def start_server(kind: Kind, settings: Settings) -> Server:
    source = choose_source(kind, settings)
    if source == "external":
        url = settings.test_database_url if kind == "postgres" else settings.test_redis_url
        assert url is not None
        return Server(kind, url, "external")
    return _STARTERS[(kind, source)]()


def stop_server(server: Server) -> None:
    if server.source == "local":
        local.stop_local(server)
    elif server.source == "docker" and (containers := _containers()) is not None:
        containers.stop_container(server)


def start_stack(settings: Settings | None = None) -> Stack:
    settings = settings or Settings()
    # Decide both sources first, so a missing Redis fails before PostgreSQL is started.
    choose_source("postgres", settings)
    choose_source("redis", settings)
    postgres = start_server("postgres", settings)
    try:
        redis = start_server("redis", settings)
    except BaseException:
        stop_server(postgres)
        raise
    return Stack(postgres, redis)
