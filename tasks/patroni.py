"""A db host of a cluster: PostgreSQL run by Patroni (Debian's package), with etcd as its DCS.

Debian's own cluster (postgresql@15-main) is never created: Patroni initialises the data
directory on the first member to win the leader race, and the others clone it from there.
The tuned postgresql.conf is the same file a single host gets (vedb tune is the one source),
included by Patroni as its custom_conf; pg_hba.conf is ours too. Patroni's config is written
from scratch, so none of the package's defaults (ZooKeeper, "rep-pass") survive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.facts import FactBase
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from tasks.base import secret_file
from tasks.cluster import address as private_address
from tasks.cluster import addresses, install_certificate, member_name, secrets
from tasks.tuned import tuned_conf, tuned_settings
from vedb.templates import render

PG_TLS = "/etc/postgresql/vedb-tls"
CONFIG = "/etc/patroni/config.yml"
# Settings Patroni takes only from the DCS, so every member has the same (it ignores them in a
# member's own files).
GLOBAL = ("max_connections", "max_worker_processes", "max_locks_per_transaction")


def rest_url(path: str, member: str = "") -> str:
    return f"https://{member or private_address(host)}:{host.data.patroni_rest_port}{path}"


class PatroniRole(FactBase[str | None]):
    """This member's role as its Patroni reports it (primary, replica, ...); None when Patroni
    does not answer."""

    def command(self, url: str, cafile: str) -> str:
        return f"curl -sf --max-time 5 --cacert {cafile} {url} || true"

    def process(self, output: Iterable[str]) -> str | None:
        try:
            return str(json.loads("\n".join(output))["role"])
        except (ValueError, KeyError, TypeError):
            return None


def is_leader() -> bool:
    return host.get_fact(PatroniRole, url=rest_url("/patroni"), cafile=f"{PG_TLS}/ca.crt") in (
        "primary",
        "master",
    )


def _config_text(major: int) -> str:
    data, values = host.data, secrets()
    tuned = tuned_settings(major)
    data_dir = f"/var/lib/postgresql/{major}/{data.postgres_cluster}"
    return render(
        "cluster/patroni.yml.j2",
        scope=data.patroni_scope,
        member=member_name(host),
        address=private_address(host),
        rest_port=data.patroni_rest_port,
        port=data.postgres_port,
        tls=PG_TLS,
        rest_password=json.dumps(values["patroni_rest_password"]),
        etcd_hosts=",".join(f"{a}:{data.etcd_client_port}" for a in addresses("etcd")),
        ttl=data.patroni_ttl,
        loop_wait=data.patroni_loop_wait,
        retry_timeout=data.patroni_retry_timeout,
        primary_start_timeout=data.patroni_primary_start_timeout,
        maximum_lag_on_failover=data.patroni_maximum_lag_on_failover,
        synchronous_mode=data.patroni_synchronous_mode,
        global_parameters={name: tuned[name].value for name in GLOBAL if name in tuned},
        data_dir=data_dir,
        bin_dir=f"/usr/lib/postgresql/{major}/bin",
        custom_conf=f"/etc/postgresql/{major}/{data.postgres_cluster}/postgresql.conf",
        hba_file=f"/etc/postgresql/{major}/{data.postgres_cluster}/pg_hba.conf",
        replication_login=data.postgres_replication_login,
        replication_password=json.dumps(values["postgres_replication_password"]),
        rewind_login=data.postgres_rewind_login,
        rewind_password=json.dumps(values["postgres_rewind_password"]),
    )


def _postgres_files(major: int) -> list[OperationMeta]:
    data = host.data
    conf_dir = f"/etc/postgresql/{major}/{data.postgres_cluster}"
    files.directory(
        name=f"The configuration directory {conf_dir}",
        path=conf_dir,
        user="postgres",
        group="postgres",
        mode="755",
    )
    files.directory(
        name=f"The parent of Patroni's data directory, /var/lib/postgresql/{major}",
        path=f"/var/lib/postgresql/{major}",
        user="postgres",
        group="postgres",
        mode="750",
    )
    conf = files.put(
        name="Render the tuned postgresql.conf (Patroni's custom_conf)",
        src=StringIO(tuned_conf(major, patroni=True)),
        dest=f"{conf_dir}/postgresql.conf",
        user="postgres",
        group="postgres",
        mode="644",
    )
    hba = files.put(
        name="Render pg_hba.conf: scram-sha-256 only; replication and rewind from members only",
        src=StringIO(
            render(
                "pg_hba.conf.j2",
                host=host.name,
                database=data.database_name,
                allowed_networks=cluster_client_networks(),
                cluster_members=addresses("db"),
                replication_login=data.postgres_replication_login,
                rewind_login=data.postgres_rewind_login,
            )
        ),
        dest=f"{conf_dir}/pg_hba.conf",
        user="postgres",
        group="postgres",
        mode="640",
    )
    return [conf, hba]


def cluster_client_networks() -> list[str]:
    """Who may log in to the app's database: the configured networks and the api hosts (their
    HAProxy forwards the API's connections)."""
    api = [f"{a}/32" for a in addresses("api")]
    return list(dict.fromkeys([*host.data.postgres_allowed_networks, *api]))


@deploy("Patroni")
def patroni_member(major: int) -> list[OperationMeta]:
    """Returns the operations that install the member's certificate."""
    data = host.data
    files.directory(name="Debian's PostgreSQL defaults directory", path="/etc/postgresql-common")
    files.put(
        name="Never let the package create Debian's own cluster: Patroni makes the only one",
        src=StringIO(
            "# managed by pyinfra: Patroni initialises the cluster\ncreate_main_cluster = false\n"
        ),
        dest="/etc/postgresql-common/createcluster.conf",
        mode="644",
    )
    apt.packages(
        name=f"Install PostgreSQL {major}, Patroni and curl",
        packages=["postgresql", "patroni", "curl"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    certificates = install_certificate("postgres", PG_TLS)
    postgres_files = _postgres_files(major)
    files.directory(
        name="Patroni's configuration directory, postgres's",
        path="/etc/patroni",
        user="postgres",
        group="postgres",
        mode="700",
    )
    config = secret_file(
        "Render Patroni's config.yml (0600: it holds the cluster's passwords)",
        _config_text(major),
        CONFIG,
        owner="postgres",
    )
    files.file(  # the package's, pointing at ZooKeeper: nothing reads it, nothing may mislead
        name="Remove the package's ZooKeeper dcs.yml", path="/etc/patroni/dcs.yml", present=False
    )
    started = systemd.service(
        name="Keep Patroni running and enabled at boot",
        service="patroni",
        running=True,
        enabled=True,
    )
    reloaded = systemd.service(
        name="Reload Patroni (and through it PostgreSQL) for the changed configuration",
        service="patroni",
        reloaded=True,
        _if=[any_changed(config, *postgres_files, *certificates), started.did_not_change],
    )
    wait = f"{data.vedb_root}/venv/bin/python -m vedb.provision.wait_healthy"
    server.shell(
        # /health answers 200 once this member's PostgreSQL runs: the first leader right after
        # initdb, a replica once it cloned the leader. Then the cluster has its leader.
        name="Wait until this member's PostgreSQL runs (a new replica first clones the leader)",
        commands=[
            f"{wait} {rest_url('/health')} {data.patroni_ready_timeout_s} {PG_TLS}/ca.crt"
            " --unit patroni"
        ],
        _if=any_changed(started, reloaded),
    )
    return certificates
