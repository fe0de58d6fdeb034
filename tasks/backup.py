"""Backups: pgBackRest archives every WAL segment and takes full and differential backups on
systemd timers, so `vedb restore --time` can bring the database back to any moment since the
oldest full backup kept. The first full backup is taken at deploy."""

from __future__ import annotations

import json
from collections.abc import Iterable
from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.facts import FactBase
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.server import LinuxDistribution
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from tasks.cluster import address, group, install_certificate, is_cluster
from tasks.service import kept_running
from vedb.backup.pgbackrest import STANZA
from vedb.provision.hostdata import postgres_major
from vedb.templates import render

CONFIG = "/etc/pgbackrest.conf"  # Debian's pgbackrest reads this path
CLUSTER_TLS = "/etc/postgresql/vedb-tls"  # the cluster certificate, shared with Patroni
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


def _render(pg_major: int, role: str) -> str:
    """pgbackrest.conf for a single host ("single"), a cluster member ("db") or the cluster's
    repository host ("repo")."""
    data = host.data
    pg = group("db")[0].data if role == "repo" else data  # the repository host has no server
    values = {
        "host": host.name,
        "role": role,
        "stanza": STANZA,
        "repo_path": data.backup_repo_path,
        "retention_full": data.backup_retention_full,
        "retention_diff": data.backup_retention_diff,
        "data_directory": f"/var/lib/postgresql/{pg_major}/{pg.postgres_cluster}",
        "port": pg.postgres_port,
        "lock_path": f"{data.backup_repo_path}/lock",
        "members": [{"host": None}],
    }
    if role != "single":
        repo = group("backup")
        if len(repo) != 1:
            raise ValueError(
                f"a cluster needs exactly one host in the backup group (its pgBackRest "
                f"repository), not {len(repo)}"
            )
        values |= {
            "address": address(host),
            "tls": CLUSTER_TLS,
            "tls_port": repo[0].data.pgbackrest_tls_port,
            "repo_host": address(repo[0]),
            "backup_standby": data.get("backup_from_standby", True),
        }
    if role == "db":
        values |= {"tls_clients": [repo[0].name], "lock_path": "/var/lib/pgbackrest/lock"}
    if role == "repo":
        values |= {
            "tls_clients": [member.name for member in group("db")],
            "members": [{"host": address(member)} for member in group("db")],
        }
    return render("pgbackrest.conf.j2", **values)


def backup_config(pg_major: int, certificates: list[OperationMeta] | None = None) -> None:
    """pgBackRest and its configuration, before PostgreSQL starts archiving to it. On a
    cluster's member also its TLS server, through which the repository host reaches it, with
    the member's ``certificates`` (installed by Patroni's task)."""
    data = host.data
    apt.packages(
        name="Install pgBackRest",
        packages=["pgbackrest"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    member = is_cluster()
    for path in (
        ["/var/lib/pgbackrest", "/var/spool/pgbackrest"] if member else [data.backup_repo_path]
    ):
        files.directory(
            name=f"{path}: postgres's alone",
            path=path,
            user="postgres",
            group="postgres",
            mode="750",
        )
    config = files.put(
        name="Render pgbackrest.conf: repository, retention, the cluster",
        src=StringIO(_render(pg_major, "db" if member else "single")),
        dest=CONFIG,
        user="root",
        group="postgres",
        mode="640",
    )
    if member:
        kept_running(
            service="pgbackrest",
            label="pgBackRest's TLS server (the repository host reaches this member by it)",
            restart_for="its new configuration",
            changes=[config, *(certificates or [])],
        )


@deploy("Backup repository")
def repository() -> None:
    """The cluster's backup host: PostgreSQL's binaries (for restores; no cluster of its own),
    pgBackRest's TLS server and repository, the stanza, a first full backup and the timers."""
    data = host.data
    files.directory(name="Debian's PostgreSQL defaults directory", path="/etc/postgresql-common")
    files.put(
        name="No PostgreSQL cluster on the backup host: its binaries only serve restores",
        src=StringIO("# managed by pyinfra\ncreate_main_cluster = false\n"),
        dest="/etc/postgresql-common/createcluster.conf",
        mode="644",
    )
    apt.packages(
        name="Install PostgreSQL's binaries and pgBackRest",
        packages=["postgresql", "pgbackrest"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    distro = host.get_fact(LinuxDistribution)
    major = postgres_major(distro["name"], distro["major"], group("db")[0].data.postgres_major)
    files.directory(
        name="The backup repository: postgres's alone",
        path=data.backup_repo_path,
        user="postgres",
        group="postgres",
        mode="750",
    )
    config = files.put(
        name="Render pgbackrest.conf: the repository and every member of the cluster",
        src=StringIO(_render(major, "repo")),
        dest=CONFIG,
        user="root",
        group="postgres",
        mode="640",
    )
    certificates = install_certificate("postgres", CLUSTER_TLS)
    kept_running(
        service="pgbackrest",
        label="pgBackRest's TLS server (the members push their WAL to it)",
        restart_for="its new configuration",
        changes=[config, *certificates],
    )
    _stanza_and_timers()


@deploy("Backups")
def backups() -> None:
    """The stanza, a first full backup, and the timers; PostgreSQL must be archiving. A
    cluster's members leave all of it to the backup host."""
    if not is_cluster():
        _stanza_and_timers()


def _stanza_and_timers() -> None:
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
