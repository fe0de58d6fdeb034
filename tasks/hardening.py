"""Host hardening: sshd with keys only and no forwarding, and unattended security upgrades."""

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.operations import apt, files, server

from vedb.templates import render

SSHD_DROP_IN = "/etc/ssh/sshd_config.d/50-vedb.conf"
AUTO_UPGRADES = """// managed by pyinfra: daily package lists and unattended (security) upgrades.
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
"""


@deploy("Hardening")
def hardening() -> None:
    data = host.data
    apt.packages(
        name="Install unattended-upgrades",
        packages=["unattended-upgrades"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    files.put(
        name="Turn on unattended security upgrades",
        src=StringIO(AUTO_UPGRADES),
        dest="/etc/apt/apt.conf.d/20auto-upgrades",
        user="root",
        group="root",
        mode="644",
    )
    sshd = files.put(
        name="sshd: keys only, no root password, no forwarding",
        src=StringIO(render("sshd-vedb.conf.j2")),
        dest=SSHD_DROP_IN,
        user="root",
        group="root",
        mode="644",
    )
    # `sshd -t` first: a broken file never reaches the running daemon (nor locks us out).
    server.shell(
        name="Check sshd's configuration, then reload it",
        commands=["sshd -t", "systemctl reload ssh"],
        _if=sshd.did_change,
    )
