"""Host hardening, measured by lynis (the deploy test asserts its index): security upgrades
applied now and daily, sshd with keys only, fail2ban on SSH, kernel and module settings, no
core dumps, a login banner, password policy, audit tools, and tighter permissions.

docs/operate.md lists lynis's remaining suggestions and why each is left.
"""

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.facts import FactBase
from pyinfra.context import host
from pyinfra.facts.files import File
from pyinfra.operations import apt, files, server, systemd

from tasks.service import kept_running
from vedb.templates import render

SSHD_DROP_IN = "/etc/ssh/sshd_config.d/50-vedb.conf"
AUTO_UPGRADES = """// managed by pyinfra: daily package lists and unattended (security) upgrades.
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
"""
SYSCTL = "/etc/sysctl.d/90-vedb-hardening.conf"
AIDE_DB = "/var/lib/aide/aide.db"
# Tools lynis looks for, each of use on a database host: PAM's per-user /tmp and password
# quality, changelogs before upgrades, package checksums and versions, process accounting and
# activity statistics, a rootkit scanner. None pulls in a compiler (rkhunter and needrestart
# depend on binutils, so they are not here).
AUDIT_TOOLS = [
    "libpam-tmpdir",
    "libpam-pwquality",
    "apt-listchanges",
    "debsums",
    "apt-show-versions",
    "acct",
    "sysstat",
    "chkrootkit",
    "fail2ban",
    "python3-systemd",  # fail2ban's journald backend
]
AIDE_PACKAGES = ["aide", "aide-common"]  # aideinit and the daily check's timer
# AIDE checks the system's files daily (dailyaidecheck.timer), not the data: the databases,
# backups and caches change all day, and the npm tree and the venv are checked by their
# lockfile's hashes when the deploy installs them. Without these the first scan takes 2.5 min.
AIDE_EXCLUDED = [
    "/var/lib/postgresql",
    "/var/lib/pgbackrest",
    "/var/lib/redis",
    "/var/lib/nocodb",
    "/var/log/postgresql",
    "/opt/nocodb/node_modules",
    "/opt/node",
    "/var/cache/vedb-npm",
]
# Interactive shells left idle are closed (lynis SHLL-6220); sshd's ClientAlive does the same
# for dead connections.
SHELL_TIMEOUT = "TMOUT=900\nreadonly TMOUT\nexport TMOUT"
UNUSED_MODULES = ["usb-storage", "firewire-core", "dccp", "sctp", "rds", "tipc"]
BANNER = (
    "WARNING: this is a private system; authorised access only. Every connection is monitored\n"
    "and recorded, and evidence of misuse goes to law enforcement. Continuing means consent to\n"
    "this policy.\n"
)
NO_CORE_DUMPS = {
    "/etc/security/limits.d/90-vedb-no-core.conf": "* hard core 0\n",
    "/etc/systemd/coredump.conf.d/90-vedb.conf": "[Coredump]\nStorage=none\nProcessSizeMax=0\n",
    "/etc/profile.d/90-vedb-no-core.sh": "ulimit -c 0\n",
}
# login.defs: passwords (there are none for logins: keys only) are hashed with many rounds and
# expire, for any account someone gives one later; new homes and console logins get umask 027
# (Debian's PAM has no pam_umask, so SSH sessions, the deploy's included, keep 022).
LOGIN_DEFS = {
    "UMASK": "027",
    "PASS_MAX_DAYS": "365",
    "PASS_MIN_DAYS": "1",
    "SHA_CRYPT_MIN_ROUNDS": "65536",
    "SHA_CRYPT_MAX_ROUNDS": "65536",
}
# Root-only: who may read sshd's own settings and the cron jobs (lynis FILE-7524).
# (Debian's minimal host has no cron, only the directories packages drop jobs into.)
ROOT_ONLY_FILES = {"/etc/ssh/sshd_config": "600"}
ROOT_ONLY_DIRECTORIES = ["/etc/cron.d", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly"]


class PendingSecurityUpgrades(FactBase[int]):
    """How many installed packages have an update from the security archive."""

    def command(self) -> str:
        simulated = "apt-get -s -o Debug::NoLocking=1 upgrade 2>/dev/null"
        return f"{simulated} | grep -c '^Inst .*-security' || true"

    def process(self, output: list[str]) -> int:
        return int(output[-1]) if output else 0


def _upgrades() -> None:
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
    # Before anything else is installed, so no service of ours restarts under an upgrade.
    server.shell(
        name="Apply the pending security upgrades now (the daily timer does it later)",
        commands=["unattended-upgrade"],
        _if=lambda: data.security_upgrades_at_deploy and host.get_fact(PendingSecurityUpgrades) > 0,
    )


def _sshd() -> None:
    sshd = files.put(
        name="sshd: keys only, no root password, no forwarding, verbose logs",
        src=StringIO(render("sshd-vedb.conf.j2", allow_groups=list(host.data.ssh_allow_groups))),
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


def _fail2ban() -> None:
    data = host.data
    jail = files.put(
        name="fail2ban: ban addresses that keep failing SSH logins (nftables, journald)",
        src=StringIO(
            render(
                "hardening/fail2ban.local.j2",
                ssh_port=data.ssh_port,
                ignore_networks=list(data.fail2ban_ignore_networks),
                bantime=data.fail2ban_bantime,
                maxretry=data.fail2ban_maxretry,
            )
        ),
        dest="/etc/fail2ban/jail.local",  # .local: never replaced by a package upgrade
        mode="644",
    )
    kept_running(service="fail2ban", label="fail2ban", restart_for="its new jail", changes=[jail])


def _kernel() -> None:
    sysctl = files.put(
        name="Kernel and network hardening (sysctl)",
        src=StringIO(render("hardening/sysctl.conf.j2")),
        dest=SYSCTL,
        mode="644",
    )
    # systemd-sysctl skips the keys a container may not set (read-only /proc/sys), as at boot.
    server.shell(
        name="Apply the sysctl settings",
        commands=[f"/usr/lib/systemd/systemd-sysctl {SYSCTL}"],
        _if=sysctl.did_change,
    )
    files.put(
        name="Refuse to load USB and FireWire storage and rare network protocols",
        src=StringIO(render("hardening/modprobe.conf.j2", modules=UNUSED_MODULES)),
        dest="/etc/modprobe.d/vedb-unused.conf",
        mode="644",
    )
    for path, text in NO_CORE_DUMPS.items():
        files.put(name=f"No core dumps: {path}", src=StringIO(text), dest=path, mode="644")


def _size(path: str) -> int | None:
    found = host.get_fact(File, path=path)
    return int(found["size"]) if found else None


@deploy("File integrity")
def file_integrity() -> None:
    """AIDE's first database, recorded after everything else is in place (deploy.py calls this
    last), so its daily check reports what changed after the first deploy."""
    excluded = files.put(
        name="AIDE watches the system's files, not the data",
        src=StringIO("".join(f"!{path}\n" for path in AIDE_EXCLUDED)),
        dest="/etc/aide/aide.conf.d/90_vedb_exclusions",
        mode="644",
    )
    server.shell(
        name="Record AIDE's first database of the system's files (once)",
        commands=["nice -n 10 aideinit --yes --force >/dev/null"],
        _if=lambda: excluded.did_change() or host.get_fact(File, path=AIDE_DB) is None,
    )


def _accounts() -> None:
    for key, value in LOGIN_DEFS.items():
        files.line(
            name=f"login.defs: {key} {value}",
            path="/etc/login.defs",
            line=rf"^#?\s*{key}\s.*$",
            replace=f"{key}\t{value}",
        )
    files.block(
        name="Idle interactive shells end after 15 minutes",
        path="/etc/profile",
        content=SHELL_TIMEOUT,
    )
    for path in ("/etc/issue", "/etc/issue.net"):
        files.put(name=f"Login banner: {path}", src=StringIO(BANNER), dest=path, mode="644")
    for path, mode in ROOT_ONLY_FILES.items():
        files.file(name=f"Only root reads {path}", path=path, user="root", mode=mode)
    for path in ROOT_ONLY_DIRECTORIES:
        files.directory(name=f"Only root reads {path}", path=path, user="root", mode="700")


@deploy("Hardening")
def hardening() -> None:
    data = host.data
    _upgrades()
    # Before the package starts it: a container's kernel refuses accounting (CAP_SYS_PACCT).
    acct = files.put(
        name="Process accounting only where the kernel allows it (not in a container)",
        src=StringIO("[Unit]\nConditionVirtualization=!container\n"),
        dest="/etc/systemd/system/acct.service.d/vedb.conf",
        mode="644",
    )
    systemd.daemon_reload(name="Reload systemd for acct's condition", _if=acct.did_change)
    apt.packages(
        name="Install the audit tools (PAM modules, debsums, accounting, sysstat, fail2ban, ...)",
        packages=AUDIT_TOOLS + (AIDE_PACKAGES if data.file_integrity else []),
        no_recommends=True,  # their recommends would bring binutils (a compiler's assembler)
        cache_time=data.apt_cache_seconds,
    )

    files.line(
        name="sysstat collects activity statistics",
        path="/etc/default/sysstat",
        line=r"^ENABLED=.*$",
        replace='ENABLED="true"',
    )
    # The collector (sysstat-collect.timer) reads ENABLED at each run, so nothing restarts for
    # it. sysstat.service only marks a boot in the day's file, so it is enabled for the next
    # boot and never started here: starting (or restarting) it races the timer's own sadc for
    # that file's lock at a 10-minute mark, and failed a deploy twice (once in CI).
    systemd.service(
        name="Keep sysstat's collector timer running and enabled at boot",
        service="sysstat-collect.timer",
        running=True,
        enabled=True,
    )
    systemd.service(
        name="sysstat marks each boot in its log (from the next boot on)",
        service="sysstat",
        running=None,
        enabled=True,
    )
    # Debian 12 keeps its sources in sources.list.d (deb822); a package leaves an empty
    # sources.list behind, and lynis 3.0.8 then reports no security repository at all.
    server.shell(
        name="Remove an empty /etc/apt/sources.list (the sources are in sources.list.d)",
        commands=["find /etc/apt/sources.list -maxdepth 0 -empty -delete"],
        _if=lambda: _size("/etc/apt/sources.list") == 0,
    )
    _sshd()
    _fail2ban()
    _kernel()
    _accounts()
