"""A throwaway Debian 12 "VPS": a debootstrap rootfs booted by systemd-nspawn, reached over SSH.

The rootfs is built once and cached as a tar.zst (VEDB_TESTHOST_CACHE, default ~/.cache/vedb);
each boot extracts it into a tmpfs. The guest sits in its own network namespace behind a veth
pair, masqueraded out of this machine so its apt and pip reach the same mirrors. Teardown
removes the process, namespace, mount and nftables table, and `leftovers()` proves it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

NAME = "vedb-vps"  # netns, machine and nft table name: one test host per machine at a time
SUBNET, GATEWAY, ADDRESS = "10.231.0.0/24", "10.231.0.1", "10.231.0.2"
SUITE = "bookworm"
PACKAGES = "openssh-server,python3,sudo,ca-certificates,systemd-sysv,dbus,procps,iproute2"
TOOLS = {
    "debootstrap": "debootstrap",
    "systemd-nspawn": "systemd-container",
    "nft": "nftables",
    "zstd": "zstd",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "ip": "iproute2",
    # The hardening tests' tools: TLS from outside, and an ACME CA with its DNS beside the guest.
    "testssl": "testssl.sh",
    "pebble": "pebble",
    "pebble-challtestsrv": "pebble",
    "openssl": "openssl",
    "nmap": "nmap",  # the cluster test's port scan of five guests
}
BOOT_TIMEOUT_S = 90


def run(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=timeout)


def install_tools() -> None:
    """apt-installs the host tools a boot needs; they are this machine's, not the project's."""
    missing = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        run("apt-get", "update", "-qq", timeout=300)
        run("apt-get", "install", "-y", "-qq", *missing, timeout=600)


def _mirror() -> str:
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    for line in sources.read_text().splitlines() if sources.exists() else []:
        if line.startswith("URIs:"):
            return line.split()[1]
    return "http://deb.debian.org/debian"


def _unmount_below(path: Path) -> None:
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{path}/")), reverse=True):
        run("umount", "-l", mount, check=False)


def rootfs_archive() -> Path:
    """The cached rootfs, built with debootstrap the first time (about a minute)."""
    cache = Path(os.environ.get("VEDB_TESTHOST_CACHE", Path.home() / ".cache" / "vedb"))
    archive = cache / f"{SUITE}-rootfs.tar.zst"
    if archive.exists():
        return archive
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vedb-debootstrap-", dir=cache) as scratch:
        root = Path(scratch) / "root"
        try:
            run(
                "debootstrap",
                "--variant=minbase",
                f"--include={PACKAGES}",
                SUITE,
                str(root),
                _mirror(),
                timeout=900,
            )
        finally:
            _unmount_below(root)
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (root / junk).glob("*"):
                if item.is_file():
                    item.unlink()
        partial = archive.with_suffix(".partial")
        run("tar", "--zstd", "-cf", str(partial), "-C", str(root), ".", timeout=300)
        partial.rename(archive)
    return archive


@dataclass
class Guest:
    address: str
    key: Path
    known_hosts: Path
    root: Path
    reboot: Callable[[], None] = lambda: None  # set by booted_host()

    def ssh(self, command: str, check: bool = True, timeout: float = 120) -> str:
        result = run(
            "ssh",
            "-i",
            str(self.key),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=5",
            f"root@{self.address}",
            command,
            check=False,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"ssh {command!r} -> {result.returncode}: {result.stderr}")
        return result.stdout


def prepare_root(root: Path, public_key: str, hostname: str = NAME) -> None:
    """What a provider's image has: SSH access, a name, DNS, and this machine's mirrors and
    CA bundle (outbound HTTPS here goes through an egress proxy with its own CA)."""
    (root / "etc/hostname").write_text(f"{hostname}\n")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(public_key)
    (ssh_dir / "authorized_keys").chmod(0o600)
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "etc/ssl/certs/ca-certificates.crt")
    # The local CAs too, where update-ca-certificates finds them: the bundle above is rebuilt
    # when a security upgrade of ca-certificates runs (the deploy applies pending ones).
    local_cas = Path("/usr/local/share/ca-certificates")
    for ca in local_cas.glob("*.crt") if local_cas.is_dir() else []:
        shutil.copy(ca, root / "usr/local/share/ca-certificates" / ca.name)
    # Only a Debian machine's apt setup fits the Debian guest (not an Ubuntu CI runner's).
    debian_sources = Path("/etc/apt/sources.list.d/debian.sources")
    if debian_sources.exists() and "ID=debian" in Path("/etc/os-release").read_text():
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        shutil.copy(debian_sources, root / "etc/apt/sources.list.d/debian.sources")
        for conf in Path("/etc/apt/apt.conf.d").iterdir():
            if not (root / "etc/apt/apt.conf.d" / conf.name).exists():
                shutil.copy(conf, root / "etc/apt/apt.conf.d" / conf.name)


def _network_up() -> str:
    run("ip", "netns", "add", NAME)
    run(
        "ip",
        "link",
        "add",
        f"vh-{NAME}"[:15],
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        NAME,
    )
    run("ip", "addr", "add", f"{GATEWAY}/24", "dev", f"vh-{NAME}"[:15])
    run("ip", "link", "set", f"vh-{NAME}"[:15], "mtu", "1400", "up")
    for args in (
        ("addr", "add", f"{ADDRESS}/24", "dev", "eth0"),
        ("link", "set", "eth0", "mtu", "1400", "up"),
        ("link", "set", "lo", "up"),
        ("route", "add", "default", "via", GATEWAY),
    ):
        run("ip", "-n", NAME, *args)
    forward = Path("/proc/sys/net/ipv4/ip_forward")
    previous = forward.read_text().strip()
    forward.write_text("1\n")
    outbound = run("ip", "-o", "route", "show", "default").stdout.split()[4]
    script = (
        f"table ip {NAME.replace('-', '_')} {{\n chain post {{\n"
        f"  type nat hook postrouting priority 100;\n"
        f"  ip saddr {SUBNET} oifname {outbound} masquerade\n }}\n}}\n"
    )
    subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True, timeout=30)
    return previous


def _network_down(previous_forward: str | None) -> None:
    run("ip", "netns", "del", NAME, check=False)
    run("ip", "link", "del", f"vh-{NAME}"[:15], check=False)
    run("nft", "delete", "table", "ip", NAME.replace("-", "_"), check=False)
    # The cluster test's guests forward too: leave forwarding on while they run.
    lab = run("ip", "link", "show", "vedb-lab", check=False).returncode == 0
    if previous_forward is not None and not lab:
        Path("/proc/sys/net/ipv4/ip_forward").write_text(f"{previous_forward}\n")


def wait_for_ssh(host: Guest, nspawn: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if nspawn.poll() is not None:
            raise RuntimeError(f"systemd-nspawn exited {nspawn.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection((host.address, 22), 1):
            break
        time.sleep(0.5)
    else:
        raise RuntimeError(f"no SSH on {host.address} after {BOOT_TIMEOUT_S} s:\n{log.read_text()}")
    state = host.ssh("timeout 60 systemctl is-system-running --wait", check=False).strip()
    if state not in ("running", "degraded"):
        raise RuntimeError(f"the guest's systemd says {state!r}")


def launch(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _reboot(
    host: Guest, nspawn: subprocess.Popen[bytes], command: list[str], log: Path
) -> subprocess.Popen[bytes]:
    """`systemctl reboot` in the guest: nspawn exits with 133 when the guest asks for a reboot,
    and is started again on the same root. The kernel state a real reboot loses goes too: the
    namespace's firewall rules are flushed before the guest boots again."""
    with contextlib.suppress(subprocess.TimeoutExpired):  # the connection may just drop
        host.ssh("systemctl --no-block reboot", check=False, timeout=30)
    code = nspawn.wait(timeout=BOOT_TIMEOUT_S)
    if code != 133:
        raise RuntimeError(f"systemd-nspawn exited {code} on reboot, not 133:\n{log.read_text()}")
    run("ip", "netns", "exec", NAME, "nft", "flush", "ruleset")
    again = launch(command, log)
    wait_for_ssh(host, again, log)
    return again


def stop(nspawn: subprocess.Popen[bytes]) -> None:
    if nspawn.poll() is None:
        nspawn.send_signal(signal.SIGTERM)  # nspawn asks the guest's systemd to power off
        try:
            nspawn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(nspawn.pid, signal.SIGKILL)
            nspawn.wait(timeout=10)


def leftovers(root: Path) -> list[str]:
    """Anything a boot left behind: processes, the netns, the mount, the nftables table."""
    found = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and os.readlink(proc / "root").startswith(str(root)):
                found.append(f"process {proc.name}")
    if NAME in run("ip", "netns", "list").stdout.split():
        found.append(f"netns {NAME}")
    if str(root) in Path("/proc/mounts").read_text():
        found.append(f"mount {root}")
    if NAME.replace("-", "_") in run("nft", "list", "tables").stdout:
        found.append(f"nft table {NAME}")
    return found


def cleanup_stale() -> None:
    """Removes what a killed earlier run left: its nspawn, namespace, table and mounts."""
    run("pkill", "-TERM", "-f", f"systemd-nspawn .*-M {NAME}", check=False)
    time.sleep(1)
    _network_down(None)
    for line in Path("/proc/mounts").read_text().splitlines():
        if "vedb-testhost-" in line.split()[1]:
            run("umount", "-l", line.split()[1], check=False)


@contextlib.contextmanager
def booted_host() -> Iterator[Guest]:
    """Boots a fresh guest from the cached rootfs; always tears it all down."""
    install_tools()
    cleanup_stale()
    archive = rootfs_archive()
    work = Path(tempfile.mkdtemp(prefix="vedb-testhost-"))
    root, key = work / "root", work / "id_ed25519"
    root.mkdir()
    nspawn: subprocess.Popen[bytes] | None = None
    previous_forward: str | None = None
    try:
        run("mount", "-t", "tmpfs", "-o", "size=6g,mode=755", "vedb-testhost", str(root))
        run("tar", "--zstd", "-xf", str(archive), "-C", str(root), timeout=120)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
        prepare_root(root, (work / "id_ed25519.pub").read_text())
        previous_forward = _network_up()
        log = work / "nspawn.log"
        command = [
            "systemd-nspawn",
            "-b",
            "-D",
            str(root),
            f"--network-namespace-path=/run/netns/{NAME}",
            # Like a VPS's root, the guest manages the firewall of its own namespace.
            "--capability=CAP_NET_ADMIN",
            "--register=no",
            "--keep-unit",
            "-M",
            NAME,
            "--console=read-only",
        ]
        nspawn = launch(command, log)
        known_hosts = work / "known_hosts"
        known_hosts.touch()
        host = Guest(ADDRESS, key, known_hosts, root)

        def reboot() -> None:
            nonlocal nspawn
            assert nspawn is not None
            nspawn = _reboot(host, nspawn, command, log)

        host.reboot = reboot
        wait_for_ssh(host, nspawn, log)
        yield host
    finally:
        if nspawn is not None:
            stop(nspawn)
        _network_down(previous_forward)
        run("umount", str(root), check=False)
        if str(root) in Path("/proc/mounts").read_text():
            run("umount", "-l", str(root), check=False)
        shutil.rmtree(work, ignore_errors=True)
