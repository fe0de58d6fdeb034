"""Renders templates/postgresql.conf.j2 from the tuning module's settings and host data."""

from __future__ import annotations

from vedb.templates import render
from vedb.tuning import Disk, Profile, Setting, postgres_settings


def render_postgresql_conf(  # noqa: PLR0913 -- the host's facts and data, by name
    *,
    host: str,
    memory_mb: int,
    cpus: int,
    disk: Disk,
    profile: Profile,
    pg_major: int,
    listen_addresses: str = "localhost",
    port: int = 5432,
    max_connections: int | None = None,
    log_min_duration_ms: int = 500,
    auto_explain_ms: int = 1000,
    cluster: str | None = None,
    archive_command: str | None = None,
    patroni: bool = False,
) -> str:
    """The whole file. With ``cluster`` (a Debian cluster name, e.g. "main") it also carries
    the file locations and TLS lines Debian's own postgresql.conf would have held. With
    ``archive_command`` every finished WAL segment is handed to it (archive_mode = on)."""
    settings = postgres_settings(memory_mb, cpus, disk, profile, pg_major, max_connections)

    def line(name: str) -> str:
        s: Setting = settings[name]
        applied = "restart" if s.restart else "reload"
        return f"{s.name} = {s.value:<12} # {s.formula} | default {s.default} | {applied}"

    return render(
        "postgresql.conf.j2",
        host=host,
        memory_mb=memory_mb,
        cpus=cpus,
        disk=disk,
        profile=profile,
        pg_major=pg_major,
        listen_addresses=listen_addresses,
        port=port,
        settings=settings,
        line=line,
        log_min_duration_ms=log_min_duration_ms,
        auto_explain_ms=auto_explain_ms,
        cluster=cluster,
        archive_command=archive_command,
        patroni=patroni,
    )
