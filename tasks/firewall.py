"""nftables: default-deny inbound, persistent across reboots (nftables.service loads it)."""

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.operations import apt, files, server, systemd

from vedb.templates import render

RULES = "/etc/nftables.conf"


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
