"""This host's tuned PostgreSQL settings, from its facts and data through `vedb tune`'s one
source (vedb/tuning.py): the postgresql.conf a single host runs, the custom_conf a cluster
member's Patroni includes, and the global settings Patroni writes to the DCS."""

from __future__ import annotations

from pyinfra.context import host
from pyinfra.facts.hardware import Cpus, Memory

from tasks.backup import ARCHIVE_COMMAND
from vedb.pgconf import render_postgresql_conf
from vedb.tuning import Setting, postgres_settings


def _memory_mb() -> int:
    # Guests of the throwaway harnesses see the whole machine's memory: host data sizes them.
    return int(host.data.postgres_memory_mb or host.get_fact(Memory))


def tuned_settings(major: int) -> dict[str, Setting]:
    data = host.data
    return postgres_settings(
        _memory_mb(),
        host.get_fact(Cpus),
        data.postgres_disk,
        data.postgres_profile,
        major,
        data.postgres_max_connections,
    )


def tuned_conf(major: int, **where: str | int | bool) -> str:
    """The whole postgresql.conf; ``where`` adds how it is reached (listen_addresses, port) or
    that Patroni runs it (patroni=True)."""
    data = host.data
    return render_postgresql_conf(
        host=host.name,
        memory_mb=_memory_mb(),
        cpus=host.get_fact(Cpus),
        disk=data.postgres_disk,
        profile=data.postgres_profile,
        pg_major=major,
        max_connections=data.postgres_max_connections,
        log_min_duration_ms=data.postgres_log_min_duration_ms,
        auto_explain_ms=data.postgres_auto_explain_ms,
        cluster=data.postgres_cluster,
        archive_command=ARCHIVE_COMMAND,
        **where,  # type: ignore[arg-type]
    )
