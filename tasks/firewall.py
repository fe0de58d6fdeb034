"""nftables: default-deny inbound, persistent across reboots (nftables.service loads it)."""

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.operations import apt, files, server, systemd

from tasks.cluster import address, addresses, group, is_cluster
from tasks.exporters import monitor_rules
from vedb.templates import render

RULES = "/etc/nftables.conf"


def cluster_rules() -> list[dict[str, object]]:
    """Which of the cluster's hosts may reach which of this host's ports."""
    data, roles = host.data, set(host.groups)
    me = address(host)
    db, api, etcd, repo = (
        [a for a in addresses(role) if a != me] for role in ("db", "api", "etcd", "backup")
    )
    rules: list[dict[str, object]] = []

    def allow(purpose: str, sources: list[str], ports: list[int]) -> None:
        if sources := list(dict.fromkeys(sources)):
            rules.append({"purpose": purpose, "sources": sources, "ports": ports})

    if "db" in roles:
        allow(
            "PostgreSQL and Patroni's REST API: the other members and HAProxy on the api hosts",
            [*db, *api],
            [data.postgres_port, data.patroni_rest_port],
        )
        allow("Patroni's REST API: the backup host asks who leads", repo, [data.patroni_rest_port])
        allow("pgBackRest's TLS server: the repository host", repo, [_tls_port()])
    if "etcd" in roles:
        allow(
            "etcd's clients: Patroni on the db hosts, and the other members",
            [*db, *etcd],
            [data.etcd_client_port],
        )
        allow("etcd's peers", etcd, [data.etcd_peer_port])
    if "backup" in roles:
        allow("pgBackRest's TLS server: the members push WAL", db, [data.pgbackrest_tls_port])
    return rules


def _tls_port() -> int:
    repo = group("backup")
    return int(repo[0].data.pgbackrest_tls_port) if repo else 8432


@deploy("Firewall")
def firewall() -> None:
    data = host.data
    apt.packages(
        name="Install nftables",
        packages=["nftables"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    networks = list(data.postgres_allowed_networks) if "db" in host.groups else []
    rules = files.put(
        name="Render the nftables rules: default-deny inbound",
        src=StringIO(
            render(
                "nftables.conf.j2",
                ssh_port=data.ssh_port,
                ssh_new_per_minute=data.firewall_ssh_new_per_minute,
                web="api" in host.groups,
                postgres_networks=networks,
                postgres_port=data.postgres_port,
                private_rules=[*(cluster_rules() if is_cluster() else []), *monitor_rules()],
            )
        ),
        dest=RULES,
        user="root",
        group="root",
        mode="755",
    )
    # Checked before it is loaded: a broken file never replaces the running rules.
    server.shell(
        name="Check and load the new rules",
        commands=[f"nft --check --file {RULES}", f"nft --file {RULES}"],
        _if=rules.did_change,
    )
    systemd.service(
        name="Load the rules at every boot",
        service="nftables",
        enabled=True,
    )
