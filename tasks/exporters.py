"""Exporters on every host: node-exporter, and the postgres and redis exporters on db and cache
hosts; and, where the backups are, their age as a textfile metric.

Debian's packages, each run by its own unit. The deploy adds a drop-in that reads the unit's
settings from a root-only env file in /etc/vedb, written before the package is installed, so
even a package's first start listens where it should: on loopback when the monitor is this
host alone, else on the host's private address, which the firewall opens to the monitor only.
"""

from __future__ import annotations

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.host import Host
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.operations import apt, files, systemd
from pyinfra.operations.util import any_changed

from tasks.base import secret_file
from tasks.cluster import CLUSTER_CA, address, group, is_cluster
from tasks.service import kept_running
from vedb.access import EXPORTER_LOGIN
from vedb.provision.hostdata import deploy_secrets
from vedb.settings import REPO_ROOT
from vedb.templates import render

POSTGRES_QUERIES = "/etc/prometheus/vedb-postgres-queries.yml"
BACKUP_TEXTFILE = "vedb_backup.prom"


class MonitorError(ValueError):
    """An inventory the monitoring cannot serve; the message names the host."""


def monitors() -> list[Host]:
    return group("monitor")


def listen_address(member: Host) -> str:
    """Where ``member``'s exporters listen: loopback when the one monitor is ``member``
    itself, else its private address."""
    if [m.name for m in monitors()] == [member.name]:
        return "127.0.0.1"
    if not is_cluster() and not member.data.get("private_address"):
        raise MonitorError(
            f"host {member.name!r} needs private_address: its exporters listen there, for the "
            "monitor host, never on a public address"
        )
    return address(member)


def _monitor_addresses() -> list[str]:
    return [address(m) for m in monitors() if m.name != host.name]


def monitor_rules() -> list[dict[str, object]]:
    """The firewall's openings on this host for the monitor hosts: each exporter, the API's
    metrics and Patroni's REST API. None when the monitor is this host alone."""
    data, roles = host.data, set(host.groups)
    sources = _monitor_addresses()
    if not data.monitoring or not sources:
        return []
    ports = [data.node_exporter_port]
    if "db" in roles:
        ports.append(data.postgres_exporter_port)
        if is_cluster():
            ports.append(data.patroni_rest_port)
    if "cache" in roles:
        ports.append(data.redis_exporter_port)
    if "api" in roles:
        ports.append(monitors()[0].data.api_metrics_port)
    return [
        {"purpose": "Prometheus on the monitor host scrapes", "sources": sources, "ports": ports}
    ]


def packaged_service(unit: str, label: str, packages: list[str], env: str) -> list[OperationMeta]:
    """``unit`` from ``packages``, its settings in a 0600 env file read by a drop-in; both in
    place before the package's first start. Returns the operations that change its settings."""
    data = host.data
    env_file = f"{data.vedb_etc}/{unit}.env"
    settings = [
        secret_file(f"Write {label}'s settings (0600)", env, env_file),
        files.put(
            name=f"{label}'s drop-in: read those settings",
            src=StringIO(render("monitor/drop-in.conf.j2", env_file=env_file)),
            dest=f"/etc/systemd/system/{unit}.service.d/vedb.conf",
            mode="644",
        ),
    ]
    systemd.daemon_reload(name=f"Reload systemd for {label}", _if=any_changed(*settings))
    apt.packages(
        name=f"Install {label}",
        packages=packages,
        no_recommends=True,  # node-exporter's collectors package: timers we do not want
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    return settings


def _exporter(unit: str, label: str, env: str, extra: list[OperationMeta] | None = None) -> None:
    settings = packaged_service(unit, label, [unit], env)
    kept_running(
        service=unit,
        label=label,
        restart_for="its new settings",
        changes=[*settings, *(extra or [])],
    )


@deploy("Exporters")
def exporters() -> None:
    data, roles = host.data, set(host.groups)
    where = listen_address(host)
    # Where the backups are, postgres writes their age here (backup_metrics).
    files.directory(
        name=f"{data.metrics_textfile_dir}: textfile metrics for node-exporter",
        path=data.metrics_textfile_dir,
        user="postgres" if holds_backups() else "root",
        group="root",
        mode="755",
    )
    _exporter(
        "prometheus-node-exporter",
        "node-exporter",
        f'ARGS="--web.listen-address={where}:{data.node_exporter_port} '
        f'--collector.textfile.directory={data.metrics_textfile_dir}"\n',
    )
    if "db" in roles:
        queries = files.put(
            name="Install the postgres exporter's queries (monitoring/postgres-queries.yml)",
            src=str(REPO_ROOT / "monitoring" / "postgres-queries.yml"),
            dest=POSTGRES_QUERIES,
            mode="644",
        )
        # lib/pq (the exporter's driver) asks for TLS unless told not to; a socket has none.
        dsn = f"host=/var/run/postgresql user={EXPORTER_LOGIN} dbname={data.database_name}"
        _exporter(
            "prometheus-postgres-exporter",
            "the postgres exporter",
            f'DATA_SOURCE_NAME="{dsn} sslmode=disable"\n'
            f'ARGS="--web.listen-address={where}:{data.postgres_exporter_port} '
            f'--extend.query-path={POSTGRES_QUERIES}"\n',
            extra=[queries],
        )
    if "cache" in roles:
        password = deploy_secrets(data.secrets_file).redis_password.get_secret_value()
        _exporter(
            "prometheus-redis-exporter",
            "the redis exporter",
            f'REDIS_ADDR="redis://127.0.0.1:{data.redis_port}"\n'
            f'REDIS_PASSWORD="{password}"\n'
            f'ARGS="-web.listen-address={where}:{data.redis_exporter_port}"\n',
        )


def patroni_metrics() -> dict[str, object] | None:
    """A cluster's members' Patroni /metrics, rewritten for Prometheus by the monitor host's
    nginx (templates/nginx-vedb.conf.j2 says why); None without a cluster."""
    if not is_cluster():
        return None
    return {
        "port": monitors()[0].data.patroni_metrics_port,
        "ca_file": CLUSTER_CA,
        "members": [{"address": address(m), "port": m.data.patroni_rest_port} for m in group("db")],
    }


def holds_backups() -> bool:
    """The host whose pgBackRest repository the backup timers fill."""
    return "backup" in host.groups or ("db" in host.groups and not is_cluster())


@deploy("Backup age for Prometheus")
def backup_metrics() -> None:
    data = host.data
    textfile_dir = data.metrics_textfile_dir  # exporters() made it, postgres's
    values = {
        "root": data.vedb_root,
        "output": f"{textfile_dir}/{BACKUP_TEXTFILE}",
        "max_age_hours": data.backup_max_age_hours,
        "textfile_dir": textfile_dir,
        "repo_path": data.backup_repo_path,
    }
    units = [
        files.put(
            name=f"Install the vedb-backup-metrics.{kind}",
            src=StringIO(render(f"monitor/vedb-backup-metrics.{kind}.j2", **values)),
            dest=f"/etc/systemd/system/vedb-backup-metrics.{kind}",
            mode="644",
        )
        for kind in ("service", "timer")
    ]
    systemd.daemon_reload(name="Reload systemd for vedb-backup-metrics", _if=any_changed(*units))
    systemd.service(
        name="Keep the backup-age timer enabled and running (every 10 minutes)",
        service="vedb-backup-metrics.timer",
        running=True,
        enabled=True,
    )
