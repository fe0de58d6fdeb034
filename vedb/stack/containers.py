"""Throwaway servers as testcontainers, where a Docker engine answers."""

from __future__ import annotations

import docker
from docker.errors import NotFound
from testcontainers.community.postgres import PostgresContainer
from testcontainers.community.redis import RedisContainer
from testcontainers.core.config import testcontainers_config

from vedb.stack.servers import Server, StackError, new_password

POSTGRES_IMAGE = "postgres:15"
REDIS_IMAGE = "redis:7"


def docker_answers() -> bool:
    """True when a Docker engine (not just the client binary) responds to a ping."""
    try:
        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no socket, no permission, no engine: all mean "not here"
        return False


def _detach_from_reaper() -> None:
    # Ryuk removes containers when this process exits; `vedb stack up` must outlive it,
    # and `vedb stack down` removes the containers itself.
    testcontainers_config.ryuk_disabled = True


def start_container_postgres() -> Server:
    _detach_from_reaper()
    password = new_password()
    container = PostgresContainer(
        POSTGRES_IMAGE, username="postgres", password=password, dbname="postgres", driver=None
    ).with_command("postgres -c shared_preload_libraries=pg_stat_statements -c fsync=off")
    container.start()
    host = container.get_container_host_ip()
    port = container.get_exposed_port(5432)
    url = f"postgresql://postgres:{password}@{host}:{port}/postgres"
    return Server("postgres", url, "docker", container_id=container.get_wrapped_container().id)


def start_container_redis() -> Server:
    _detach_from_reaper()
    password = new_password()
    container = RedisContainer(REDIS_IMAGE, password=password)
    container.start()
    host = container.get_container_host_ip()
    port = container.get_exposed_port(6379)
    url = f"redis://:{password}@{host}:{port}/0"
    return Server("redis", url, "docker", container_id=container.get_wrapped_container().id)


def stop_container(server: Server) -> None:
    client = docker.from_env()
    try:
        client.containers.get(server.container_id).remove(force=True, v=True)
    except NotFound:
        pass
    except Exception as exc:
        raise StackError(f"could not remove container {server.container_id}: {exc}") from exc
    finally:
        client.close()
