"""Several throwaway Debian 12 "VPSes" on one private network, for the cluster's deploy test.

Each guest is booted like tests/deploy/testhost.py's single one (the same cached rootfs, a
tmpfs root, systemd as PID 1), but in a network namespace of its own whose veth is a port of
one bridge on this machine: the guests reach each other at 10.232.0.11, .12, ... and this
machine at 10.232.0.1. Its subnet is not the single-host test's, so the two never collide.

`Lab.kill(name)` is a power cut: the guest's link goes down first, so not one more packet
leaves it, then every process in it gets SIGKILL. `Lab.start(name)` boots it again on the same
root, with its firewall flushed as a real reboot flushes it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.testhost import (
    Guest,
    install_tools,
    launch,
    prepare_root,
    rootfs_archive,
    run,
    stop,
    wait_for_ssh,
)

BRIDGE, TABLE = "vedb-lab", "vedb_lab"
SUBNET, GATEWAY = "10.232.0.0/24", "10.232.0.1"
FIRST_ADDRESS = 11  # guest n (0-based) is 10.232.0.(11 + n)
TMPFS_SIZE = "4g"


@dataclass
class LabGuest:
    name: str
    guest: Guest
    command: list[str]
    log: Path
    nspawn: subprocess.Popen[bytes] | None = None
    veth: str = ""

    @property
    def address(self) -> str:
        return self.guest.address

    def init_pid(self) -> int | None:
        """The guest's systemd (PID 1 of its PID namespace), a descendant of nspawn."""
        if self.nspawn is None or self.nspawn.poll() is not None:
            return None
        parents: dict[int, int] = {}
        for proc in Path("/proc").iterdir():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if proc.name.isdigit():
                    stat = (proc / "stat").read_text()
                    parents[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        for pid in parents:
            ancestor = parents.get(pid)
            while ancestor is not None and ancestor != self.nspawn.pid:
                ancestor = parents.get(ancestor)
            if ancestor is None:
                continue
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                nspid = next(line for line in status.splitlines() if line.startswith("NSpid:"))
                if nspid.split()[-1] == "1" and len(nspid.split()) > 2:
                    return pid
        return None

    def processes(self) -> list[int]:
        """Every process in the guest's PID namespace (what a power cut takes down)."""
        init = self.init_pid()
        if init is None:
            return []
        with contextlib.suppress(OSError):
            namespace = os.readlink(f"/proc/{init}/ns/pid")
        found = []
        for proc in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if proc.name.isdigit() and os.readlink(proc / "ns/pid") == namespace:
                    found.append(int(proc.name))
        return found


@dataclass
class Lab:
    work: Path
    guests: dict[str, LabGuest] = field(default_factory=dict)

    def __getitem__(self, name: str) -> LabGuest:
        return self.guests[name]

    def kill(self, name: str) -> float:
        """Cuts the guest's power; returns the monotonic time of the cut."""
        lab_guest = self.guests[name]
        run("ip", "link", "set", lab_guest.veth, "down")
        cut = time.monotonic()
        # SIGKILL to a PID namespace's init takes every process in it down at once.
        if (init := lab_guest.init_pid()) is not None:
            os.kill(init, signal.SIGKILL)
        if lab_guest.nspawn is not None:
            lab_guest.nspawn.wait(timeout=30)
        return cut

    def start(self, name: str) -> None:
        """Boots a killed (or stopped) guest again on the root it had."""
        lab_guest = self.guests[name]
        run("ip", "netns", "exec", name, "nft", "flush", "ruleset")
        run("ip", "link", "set", lab_guest.veth, "up")
        lab_guest.nspawn = launch(lab_guest.command, lab_guest.log)
        wait_for_ssh(lab_guest.guest, lab_guest.nspawn, lab_guest.log)


def _network_up() -> str:
    run("ip", "link", "add", BRIDGE, "type", "bridge")
    run("ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
    run("ip", "link", "set", BRIDGE, "up")
    forward = Path("/proc/sys/net/ipv4/ip_forward")
    previous = forward.read_text().strip()
    forward.write_text("1\n")
    outbound = run("ip", "-o", "route", "show", "default").stdout.split()[4]
    script = (
        f"table ip {TABLE} {{\n chain post {{\n"
        f"  type nat hook postrouting priority 100;\n"
        f"  ip saddr {SUBNET} oifname {outbound} masquerade\n }}\n}}\n"
    )
    subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True, timeout=30)
    return previous


def _guest_network(name: str, address: str, veth: str) -> None:
    run("ip", "netns", "add", name)
    run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name)
    run("ip", "link", "set", veth, "master", BRIDGE, "mtu", "1400", "up")
    for args in (
        ("addr", "add", f"{address}/24", "dev", "eth0"),
        ("link", "set", "eth0", "mtu", "1400", "up"),
        ("link", "set", "lo", "up"),
        ("route", "add", "default", "via", GATEWAY),
    ):
        run("ip", "-n", name, *args)


def _network_down(names: list[str], previous_forward: str | None) -> None:
    for name in names:
        run("ip", "netns", "del", name, check=False)
    for line in run("ip", "-o", "link", "show").stdout.splitlines():
        if f"master {BRIDGE}" in line:  # veths left by a killed earlier run
            run("ip", "link", "del", line.split(":")[1].strip().split("@")[0], check=False)
    run("ip", "link", "del", BRIDGE, check=False)
    run("nft", "delete", "table", "ip", TABLE, check=False)
    # The single-host test's guest forwards too: leave forwarding on while it runs.
    if previous_forward is not None and "vedb-vps" not in run("ip", "netns", "list").stdout:
        Path("/proc/sys/net/ipv4/ip_forward").write_text(f"{previous_forward}\n")


def cleanup_stale(names: list[str]) -> None:
    """Removes what a killed earlier run left: its guests, namespaces, bridge and mounts."""
    for name in names:
        run("pkill", "-KILL", "-f", f"systemd-nspawn .*-M {name} ", check=False)
    time.sleep(1)
    _network_down(names, None)
    for line in Path("/proc/mounts").read_text().splitlines():
        if "vedb-lab-" in line.split()[1]:
            run("umount", "-l", line.split()[1], check=False)


def leftovers(lab: Lab) -> list[str]:
    found = [f"processes of {g.name}" for g in lab.guests.values() if g.processes()]
    namespaces = run("ip", "netns", "list").stdout.split()
    found += [f"netns {name}" for name in lab.guests if name in namespaces]
    if run("ip", "link", "show", BRIDGE, check=False).returncode == 0:
        found.append(f"bridge {BRIDGE}")
    if TABLE in run("nft", "list", "tables").stdout:
        found.append(f"nft table {TABLE}")
    if str(lab.work) in Path("/proc/mounts").read_text():
        found.append(f"mounts under {lab.work}")
    return found


def _boot(lab: Lab, name: str, address: str, veth: str, public_key: str, key: Path) -> None:
    root = lab.work / name
    root.mkdir()
    run("mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=755", f"vedb-lab-{name}", str(root))
    run("tar", "--zstd", "-xf", str(rootfs_archive()), "-C", str(root), timeout=120)
    prepare_root(root, public_key, hostname=name)
    _guest_network(name, address, veth)
    command = [
        "systemd-nspawn",
        "-b",
        "-D",
        str(root),
        f"--network-namespace-path=/run/netns/{name}",
        "--capability=CAP_NET_ADMIN",
        "--register=no",
        "--keep-unit",
        "-M",
        name,
        "--console=read-only",
    ]
    known_hosts = lab.work / f"{name}.known_hosts"
    known_hosts.touch()
    guest = Guest(address, key, known_hosts, root)
    lab_guest = LabGuest(name, guest, command, lab.work / f"{name}.log", veth=veth)
    lab_guest.nspawn = launch(command, lab_guest.log)
    lab.guests[name] = lab_guest


@contextlib.contextmanager
def booted_lab(names: list[str]) -> Iterator[Lab]:
    """Boots one guest per name, on one bridge; always tears it all down."""
    install_tools()
    cleanup_stale(names)
    work = Path(tempfile.mkdtemp(prefix="vedb-lab-"))
    lab = Lab(work)
    key = work / "id_ed25519"
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
    public_key = (work / "id_ed25519.pub").read_text()
    previous_forward: str | None = None
    try:
        previous_forward = _network_up()
        for number, name in enumerate(names):
            address = f"10.232.0.{FIRST_ADDRESS + number}"
            _boot(lab, name, address, f"vl-{number}-{name}"[:15], public_key, key)
        for lab_guest in lab.guests.values():
            assert lab_guest.nspawn is not None
            wait_for_ssh(lab_guest.guest, lab_guest.nspawn, lab_guest.log)
        yield lab
    finally:
        for lab_guest in lab.guests.values():
            if lab_guest.nspawn is not None:
                stop(lab_guest.nspawn)
        _network_down(list(lab.guests), previous_forward)
        for lab_guest in lab.guests.values():
            run("umount", str(lab_guest.guest.root), check=False)
            if str(lab_guest.guest.root) in Path("/proc/mounts").read_text():
                run("umount", "-l", str(lab_guest.guest.root), check=False)
        shutil.rmtree(work, ignore_errors=True)
