"""Finds local server binaries, and says exactly what to install when they are missing."""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

PG_INSTALL_HINT = (
    "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install postgresql`), "
    "start a Docker engine, or set VEDB_TEST_DATABASE_URL to a server you run"
)
REDIS_INSTALL_HINT = (
    "install Redis (Debian/Ubuntu: `apt-get install redis-server`), start a Docker engine, "
    "or set VEDB_TEST_REDIS_URL to a server you run"
)


def _version_key(path: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in path.parent.name.split("."))
    except ValueError:
        return (0,)


def postgres_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, else the newest distro major."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    # Debian keeps server binaries off PATH, one directory per major version.
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key)
    for bin_dir in reversed(candidates):
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            return bin_dir
    return None


def redis_server_binary() -> Path | None:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    return Path(found) if found else None


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account servers run as: initdb refuses to run as root."""

    uid: int
    gid: int
    name: str

    @property
    def switches(self) -> bool:
        return self.uid != os.getuid()


def run_as() -> RunAs:
    if os.getuid() != 0:
        entry = pwd.getpwuid(os.getuid())
        return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)
    raise RuntimeError("running as root, but neither a 'postgres' nor a 'nobody' account exists")
