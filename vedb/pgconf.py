"""Renders templates/postgresql.conf.j2 from the tuning module's settings and host data."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from vedb.settings import REPO_ROOT
from vedb.tuning import Disk, Profile, Setting, postgres_settings

TEMPLATES = REPO_ROOT / "templates"


def render_postgresql_conf(  # noqa: PLR0913 -- the host's facts and data, by name
    *, host: str, memory_mb: int, cpus: int, disk: Disk, profile: Profile, pg_major: int,
    listen_addresses: str = "localhost", port: int = 5432, max_connections: int | None = None,
    log_min_duration_ms: int = 500, auto_explain_ms: int = 1000,
) -> str:  # fmt: skip
    settings = postgres_settings(memory_mb, cpus, disk, profile, pg_major, max_connections)

    def line(name: str) -> str:
        s: Setting = settings[name]
        applied = "restart" if s.restart else "reload"
        return f"{s.name} = {s.value:<12} # {s.formula} | default {s.default} | {applied}"

    # Not HTML: escaping would corrupt postgresql.conf.
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,  # noqa: S701
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)  # fmt: skip
    return env.get_template("postgresql.conf.j2").render(
        host=host, memory_mb=memory_mb, cpus=cpus, disk=disk, profile=profile, pg_major=pg_major,
        listen_addresses=listen_addresses, port=port, settings=settings, line=line,
        log_min_duration_ms=log_min_duration_ms, auto_explain_ms=auto_explain_ms,
    )  # fmt: skip
