"""Backups: pgBackRest archives every WAL segment and takes full and differential backups on
systemd timers, so `vedb restore --time` can bring the database back to any moment since the
oldest full backup kept. The first full backup is taken at deploy."""

from __future__ import annotations

import json
from collections.abc import Iterable
from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.facts import FactBase
from pyinfra.context import host
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from vedb.backup.pgbackrest import STANZA
from vedb.templates import render

CONFIG = "/etc/pgbackrest.conf"  # Debian's pgbackrest reads this path
ARCHIVE_COMMAND = f"pgbackrest --stanza={STANZA} archive-push %p"
TIMERS = ("full", "diff")


class BackupSets(FactBase[int | None]):
    """How many backups the stanza holds; None while the stanza does not exist."""

    def command(self, stanza: str) -> str:
        return f"runuser -u postgres -- pgbackrest --stanza={stanza} --output=json info || true"

    def process(self, output: Iterable[str]) -> int | None:
        try:
            stanzas = json.loads("\n".join(output) or "[]")
        except json.JSONDecodeError:
            return None
        if not stanzas or stanzas[0].get("status", {}).get("code") == 1:  # 1: missing stanza
            return None
        return len(stanzas[0].get("backup", []))


def backup_config(pg_major: int) -> None:
    """pgBackRest and its configuration, before PostgreSQL starts archiving to it."""
    data = host.data
    apt.packages(
        name="Install pgBackRest",
        packages=["pgbackrest"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    files.directory(
        name="The backup repository: postgres's alone",
        path=data.backup_repo_path,
        user="postgres",
        group="postgres",
        mode="750",
    )
    files.put(
        name="Render pgbackrest.conf: repository, retention, the cluster",
        src=StringIO(
            render(
                "pgbackrest.conf.j2",
                host=host.name,
                stanza=STANZA,
                repo_path=data.backup_repo_path,
                retention_full=data.backup_retention_full,
                retention_diff=data.backup_retention_diff,
                data_directory=f"/var/lib/postgresql/{pg_major}/{data.postgres_cluster}",
                port=data.postgres_port,
            )
        ),
        dest=CONFIG,
        user="root",
        group="postgres",
        mode="640",
    )


@deploy("Backups")
def backups() -> None:
    """The stanza, a first full backup, and the timers; PostgreSQL must be archiving."""
    data = host.data
    server.shell(
        name=f"Create the pgBackRest stanza {STANZA} (once)",
        commands=[f"runuser -u postgres -- pgbackrest --stanza={STANZA} stanza-create"],
        _if=lambda: host.get_fact(BackupSets, stanza=STANZA) is None,
    )
    server.shell(
        name="Take the first full backup (once), so a restore works from now on",
        commands=[f"runuser -u postgres -- pgbackrest --stanza={STANZA} --type=full backup"],
        _if=lambda: not host.get_fact(BackupSets, stanza=STANZA),
    )
    values = {"stanza": STANZA, "repo_path": data.backup_repo_path}
    units = [
        files.put(
            name="Install the vedb-backup@ unit",
            src=StringIO(render("vedb-backup@.service.j2", **values)),
            dest="/etc/systemd/system/vedb-backup@.service",
            mode="644",
        )
    ]
    for kind in TIMERS:
        schedule = data.backup_full_schedule if kind == "full" else data.backup_diff_schedule
        units.append(
            files.put(
                name=f"Install the vedb-backup-{kind} timer ({schedule})",
                src=StringIO(render("vedb-backup.timer.j2", kind=kind, schedule=schedule)),
                dest=f"/etc/systemd/system/vedb-backup-{kind}.timer",
                mode="644",
            )
        )
    systemd.daemon_reload(name="Reload systemd for the backup units", _if=any_changed(*units))
    for kind in TIMERS:
        systemd.service(
            name=f"Keep the {kind} backup timer enabled and running",
            service=f"vedb-backup-{kind}.timer",
            running=True,
            enabled=True,
        )
