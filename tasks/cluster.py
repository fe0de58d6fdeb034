"""Who is in the cluster: the db, etcd, backup and api hosts by private address, and each
host's certificate from the cluster CA (vedb/provision/cluster_tls.py)."""

from __future__ import annotations

from collections.abc import Iterable
from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.facts import FactBase
from pyinfra.api.host import Host
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host, inventory
from pyinfra.operations import apt, files, server

from tasks.base import secret_file
from vedb.provision.cluster_tls import ca_pem, host_certificate
from vedb.provision.hostdata import deploy_secrets
from vedb.provision.secrets import cluster_secrets

CLUSTER_CA = "/usr/local/share/vedb/cluster-ca.crt"  # public: curl and the API verify with it


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
        secrets()["cluster_tls_seed"],
        host.name,
        list(dict.fromkeys([address(host), host.name, "127.0.0.1", "localhost"])),
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


class ClusterReady(FactBase[bool]):
    """Whether a leader answers (and, with ``replica``, also a replica), asked from this host
    through the members' Patroni REST APIs."""

    def command(self, script: str) -> str:
        return f"{script} 0 && echo ready || true"

    def process(self, output: Iterable[str]) -> bool:
        return "ready" in output


def _ready_script(cafile: str, replica: bool) -> str:
    """A shell function body: `ready SECONDS` returns 0 once the cluster is ready."""
    port = group("db")[0].data.patroni_rest_port
    urls = " ".join(f"https://{a}:{port}" for a in addresses("db"))
    check = f"curl -sf -o /dev/null --max-time 3 --cacert {cafile}"  # -f: a 503 is a failure
    need = '[ -n "$leader" ] && [ -n "$replica" ]' if replica else '[ -n "$leader" ]'
    return (
        f"ready() {{ end=$(( $(date +%s) + $1 )); while :; do leader=; replica=; "
        f"for u in {urls}; do {check} $u/primary && leader=1; {check} $u/replica && replica=1; "
        f"done; {need} && return 0; [ $(date +%s) -ge $end ] && return 1; sleep 2; done; }}; "
        "ready"
    )


def wait_for_cluster(cafile: str, replica: bool = False) -> OperationMeta:
    """Waits (bounded) until the cluster has a leader, and with ``replica`` a streaming
    replica too; runs only while it has not."""
    timeout = group("db")[0].data.patroni_ready_timeout_s
    script = _ready_script(cafile, replica)
    what = "a leader and a replica" if replica else "a leader"
    return server.shell(
        name=f"Wait (up to {timeout} s) until the cluster has {what}",
        commands=[
            f"{script} {timeout} || {{ echo 'the cluster has no {what} after {timeout} s' >&2; "
            "exit 1; }"
        ],
        _if=lambda: not host.get_fact(ClusterReady, script=script),
    )


@deploy("Cluster ready")
def cluster_barrier() -> None:
    """Every host of a cluster calls this at the same point of deploy.py. pyinfra runs each
    operation on all hosts before the next, but orders them per host: one host's later step
    can come before another's earlier one. An operation called from the same line by every
    host is one step of all of them, so the wait below comes after every db host's Patroni
    start: api and backup hosts go on only once the database they need is there."""
    apt.packages(
        name="Install curl (asks Patroni's REST API who leads)",
        packages=["curl"],
        update=True,
        cache_time=host.data.apt_cache_seconds,
    )
    files.directory(name="/usr/local/share/vedb", path="/usr/local/share/vedb", mode="755")
    files.put(
        name="Install the cluster CA, public, for curl and the API",
        src=StringIO(ca_pem(secrets()["cluster_tls_seed"])),
        dest=CLUSTER_CA,
        mode="644",
    )
    # The backup host's first backup copies from a replica (backup-standby).
    wait_for_cluster(CLUSTER_CA, replica="backup" in host.groups)
