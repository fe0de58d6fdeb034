"""Which hosts to deploy, from the environment or an untracked TOML file (never the repo).

Either a file named by VEDB_INVENTORY_FILE:

    [defaults]                      # host data every host gets, e.g. how to reach it
    ssh_user = "root"
    ssh_key = "~/.ssh/vedb_ed25519"

    [hosts."203.0.113.10"]
    environment = "production"      # staging or production
    roles = ["db", "cache", "api"]  # the default; also "etcd", "backup" (a cluster), "monitor"
    postgres_allowed_networks = ["10.0.0.0/24"]   # any other key is host data

or, for one-box hosts, VEDB_DEPLOY_HOSTS="production:203.0.113.10,staging:198.51.100.7" with
VEDB_SSH_USER / VEDB_SSH_KEY / VEDB_SSH_KNOWN_HOSTS. Every host then takes every role.
"""

from __future__ import annotations

import os
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

ENVIRONMENTS = ("staging", "production")
# etcd: a member of the cluster's DCS (3 or 5 hosts; they may be the db hosts); backup: the
# pgBackRest repository host; monitor: Prometheus and Alertmanager (when no host has it, the
# first api host). A host without `roles` takes the one-box roles.
ROLES = ("db", "cache", "api", "etcd", "backup", "monitor")
DEFAULT_ROLES = ("db", "cache", "api")
SSH_VARIABLES = {
    "VEDB_SSH_USER": "ssh_user",
    "VEDB_SSH_KEY": "ssh_key",
    "VEDB_SSH_KNOWN_HOSTS": "ssh_known_hosts_file",
}


class HostSpec(NamedTuple):
    name: str
    environment: str
    roles: list[str]
    data: dict[str, Any]


class InventoryError(ValueError):
    """An inventory that cannot be used; the message names the bad value."""


def _expand_paths(data: dict[str, Any]) -> dict[str, Any]:
    for key in ("ssh_key", "ssh_known_hosts_file", "secrets_file"):
        if isinstance(data.get(key), str):
            data[key] = str(Path(data[key]).expanduser())
    return data


def _host(name: str, spec: Mapping[str, Any], defaults: Mapping[str, Any], where: str) -> HostSpec:
    data = {**defaults, **spec}
    environment = data.pop("environment", None)
    if environment not in ENVIRONMENTS:
        raise InventoryError(
            f"{where}: host {name!r} has environment {environment!r}; "
            f"use one of {', '.join(ENVIRONMENTS)}"
        )
    roles = data.pop("roles", list(DEFAULT_ROLES))
    if not isinstance(roles, list) or not roles or set(roles) - set(ROLES):
        raise InventoryError(
            f"{where}: host {name!r} has roles {roles!r}; choose from {', '.join(ROLES)}"
        )
    return HostSpec(name, environment, roles, _expand_paths(data))


def _from_file(path: Path) -> list[HostSpec]:
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InventoryError(f"VEDB_INVENTORY_FILE={path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InventoryError(f"{path} is not valid TOML: {exc}") from exc
    if unknown := set(document) - {"defaults", "hosts"}:
        raise InventoryError(f"{path}: unknown table(s) {sorted(unknown)}; use [defaults], [hosts]")
    hosts = document.get("hosts", {})
    if not hosts:
        raise InventoryError(f'{path}: no [hosts."ADDRESS"] table')
    defaults = document.get("defaults", {})
    return [_host(name, spec, defaults, str(path)) for name, spec in hosts.items()]


def _from_variable(value: str, environ: Mapping[str, str]) -> list[HostSpec]:
    defaults = {key: environ[var] for var, key in SSH_VARIABLES.items() if environ.get(var)}
    hosts = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        environment, _, name = item.partition(":")
        if not name:
            raise InventoryError(
                f"VEDB_DEPLOY_HOSTS: {item!r} is not ENVIRONMENT:HOST, e.g. staging:198.51.100.7"
            )
        hosts.append(_host(name, {"environment": environment}, defaults, "VEDB_DEPLOY_HOSTS"))
    return hosts


def inventory_groups(environ: Mapping[str, str] | None = None) -> dict[str, list[Any]]:
    """pyinfra groups: the environments carry each host's data, the roles list names."""
    environ = os.environ if environ is None else environ
    if path := environ.get("VEDB_INVENTORY_FILE"):
        hosts = _from_file(Path(path).expanduser())
    elif value := environ.get("VEDB_DEPLOY_HOSTS"):
        hosts = _from_variable(value, environ)
    else:
        raise InventoryError(
            "no hosts: set VEDB_INVENTORY_FILE to an inventory TOML file, or "
            "VEDB_DEPLOY_HOSTS=production:ADDRESS (see docs/deploy.md)"
        )
    groups: dict[str, list[Any]] = {group: [] for group in (*ENVIRONMENTS, *ROLES)}
    for name, environment, roles, data in hosts:
        groups[environment].append((name, data))
        for role in roles:
            groups[role].append(name)
    if not groups["monitor"] and groups["api"]:
        groups["monitor"] = groups["api"][:1]
    return groups


def ssh_command(name: str, args: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """`ssh` to inventory host ``name`` as the deploy reaches it, running ``vedb ARGS`` from
    the host's release venv."""
    environ = os.environ if environ is None else environ
    groups = inventory_groups(environ)
    hosts = {host: data for env in ENVIRONMENTS for host, data in groups[env]}
    if name not in hosts:
        raise InventoryError(f"--host {name!r} is not in the inventory: {', '.join(hosts)}")
    data = hosts[name]
    command = ["ssh", "-o", "BatchMode=yes"]
    if key := data.get("ssh_key"):
        command += ["-i", key]
    if known := data.get("ssh_known_hosts_file"):
        command += ["-o", f"UserKnownHostsFile={known}"]
    if port := data.get("ssh_port"):
        command += ["-p", str(port)]
    user = data.get("ssh_user")
    root = data.get("vedb_root", "/opt/vedb")
    return [
        *command,
        f"{user}@{name}" if user else name,
        f"{root}/venv/bin/vedb",
        *map(shlex.quote, args),
    ]
