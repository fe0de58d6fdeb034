"""etcd, the cluster's DCS: one member per etcd host, TLS for peers and clients.

Debian's package starts a lone default member at install. Its data belongs to no cluster of
ours, so the first configured start wipes it once (a stamp records that), and all members
start together: a new etcd cluster forms only when a majority of its members are up.
"""

from __future__ import annotations

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.facts.files import File
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from tasks.cluster import address, group, install_certificate, member_name
from vedb.templates import render

TLS = "/etc/etcd/tls"
STAMP = "/var/lib/etcd/.vedb-cluster"


def initial_cluster(peer_port: int) -> str:
    return ",".join(
        f"{member_name(member)}=https://{address(member)}:{peer_port}" for member in group("etcd")
    )


@deploy("etcd")
def etcd_member() -> None:
    data = host.data
    members = group("etcd")
    if len(members) < 3 or len(members) % 2 == 0:
        raise ValueError(
            f"the etcd group has {len(members)} host(s): a cluster needs 3 or 5 (an odd "
            "count, so a majority survives the loss of a member)"
        )
    apt.packages(
        name="Install etcd (and etcdctl)",
        packages=["etcd-server", "etcd-client"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    certificates = install_certificate("etcd", TLS)
    config = files.put(
        name="Render /etc/default/etcd: this member, its peers, TLS, compaction and quota",
        src=StringIO(
            render(
                "cluster/etcd.env.j2",
                member=member_name(host),
                address=address(host),
                peer_port=data.etcd_peer_port,
                client_port=data.etcd_client_port,
                initial_cluster=initial_cluster(data.etcd_peer_port),
                token=f"vedb-{data.patroni_scope}",
                tls=TLS,
                compaction_retention=data.etcd_auto_compaction_retention,
                quota_bytes=data.etcd_quota_backend_bytes,
                heartbeat_ms=data.etcd_heartbeat_interval_ms,
                election_ms=data.etcd_election_timeout_ms,
            )
        ),
        dest="/etc/default/etcd",
        user="root",
        group="root",
        mode="644",
    )
    once = server.shell(
        name="Replace the package's lone default member with this cluster's (once)",
        commands=[
            "systemctl stop etcd",
            "rm -rf /var/lib/etcd/default",
            f"touch {STAMP}",
            # --no-block: the unit is Type=notify and only reports ready once a majority of
            # members is up, which the wait below bounds.
            "systemctl start --no-block etcd",
        ],
        _if=lambda: not host.get_fact(File, path=STAMP),
    )
    systemd.service(name="Keep etcd enabled at boot", service="etcd", enabled=True)
    restart = server.shell(
        name="Restart etcd for its new configuration or certificates",
        commands=["systemctl restart --no-block etcd"],
        _if=[any_changed(config, *certificates), once.did_not_change],
    )
    client = (
        f"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:{data.etcd_client_port} "
        f"--cacert={TLS}/ca.crt --cert={TLS}/host.crt --key={TLS}/host.key"
    )
    server.shell(
        name="Wait (up to 300 s) until this member is healthy in a cluster with a leader",
        commands=[
            f"for i in $(seq 300); do {client} endpoint health >/dev/null 2>&1 && exit 0; "
            "sleep 1; done; echo 'etcd is not healthy after 300 s' >&2; "
            f"{client} endpoint health; exit 1"
        ],
        _if=any_changed(once, restart),
    )
