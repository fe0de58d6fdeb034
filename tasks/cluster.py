"""Who is in the cluster: the db, etcd, backup and api hosts by private address, and each
host's certificate from the cluster CA (vedb/provision/cluster_tls.py)."""

from __future__ import annotations

from io import StringIO

from pyinfra.api.host import Host
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host, inventory
from pyinfra.operations import files

from tasks.base import secret_file
from vedb.provision.cluster_tls import host_certificate
from vedb.provision.hostdata import deploy_secrets
from vedb.provision.secrets import cluster_secrets

TLS_DIR = "/etc/vedb/cluster-tls"  # root's; each service gets its own copy, owned by it


def address(member: Host) -> str:
    return str(member.data.get("private_address") or member.name)


def group(name: str) -> list[Host]:
    return list(inventory.get_group(name, [])) if name in inventory.groups else []


def is_cluster() -> bool:
    return len(group("db")) >= 2


def addresses(name: str) -> list[str]:
    return [address(member) for member in group(name)]


def secrets() -> dict[str, str]:
    return cluster_secrets(deploy_secrets(host.data.secrets_file))


def member_name(member: Host) -> str:
    """Patroni's and etcd's name for a host: its address with dots as dashes."""
    return address(member).replace(".", "-").replace(":", "-")


def install_certificate(owner: str, directory: str) -> list[OperationMeta]:
    """This host's certificate, key and the CA into ``directory``, readable by ``owner`` only
    (ca.crt, host.crt, host.key)."""
    pair = host_certificate(
        secrets()["cluster_tls_seed"], host.name, list(dict.fromkeys([address(host), host.name]))
    )
    changes = [
        files.directory(
            name=f"The cluster TLS directory {directory}, {owner}'s",
            path=directory,
            user=owner,
            group=owner,
            mode="700",
        )
    ]
    for filename, text in (("ca.crt", pair.ca_pem), ("host.crt", pair.certificate_pem)):
        changes.append(
            files.put(
                name=f"Install {directory}/{filename} (from the cluster CA)",
                src=StringIO(text),
                dest=f"{directory}/{filename}",
                user=owner,
                group=owner,
                mode="644",
            )
        )
    changes.append(
        secret_file(
            f"Install {directory}/host.key (0600, derived from the cluster seed)",
            pair.key_pem,
            f"{directory}/host.key",
            owner=owner,
        )
    )
    return changes
