"""An api host of a cluster: HAProxy on loopback, routing the API's two pools by Patroni's
health checks (group_data/api.py has the ports and the lag bound)."""

from __future__ import annotations

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.operations import apt, files, server

from tasks.cluster import address, group, install_certificate, member_name
from tasks.service import kept_running
from vedb.templates import render

TLS = "/etc/haproxy/vedb-tls"
CONFIG = "/etc/haproxy/haproxy.cfg"


@deploy("Cluster routing (HAProxy)")
def cluster_routing() -> None:
    data = host.data
    apt.packages(
        name="Install HAProxy",
        packages=["haproxy"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    certificates = install_certificate("haproxy", TLS)
    db = group("db")
    config = files.put(
        name="Render haproxy.cfg: the leader on the write port, replicas on the read port",
        src=StringIO(
            render(
                "cluster/haproxy.cfg.j2",
                host=host.name,
                tls=TLS,
                write_port=data.cluster_write_port,
                read_port=data.cluster_read_port,
                max_lag=data.replica_max_lag_bytes,
                port=db[0].data.postgres_port,
                rest_port=db[0].data.patroni_rest_port,
                members=[{"name": member_name(m), "address": address(m)} for m in db],
            )
        ),
        dest=CONFIG,
        user="root",
        group="root",
        mode="644",
    )
    checked = server.shell(
        name="Check the new haproxy.cfg before it is loaded",
        commands=[f"haproxy -c -q -f {CONFIG}"],
        _if=config.did_change,
    )
    kept_running(
        service="haproxy",
        label="HAProxy",
        restart_for="its new configuration",
        changes=[checked, *certificates],
    )
