"""Fixtures for the cluster's end-to-end deploy: five guests on one network, the real pyinfra
CLI at all of them: three db hosts (each an etcd member), an api host (with Redis) and the
backup host."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.lab import Lab, booted_lab, leftovers
from tests.conftest import report
from tests.deploy.conftest import DeployRun, run_pyinfra
from vedb.provision.secrets import DeploySecrets, load_secrets, write_new_secrets

ROLES = {
    "vedb-db1": ["db", "etcd"],
    "vedb-db2": ["db", "etcd"],
    "vedb-db3": ["db", "etcd"],
    "vedb-app": ["api", "cache"],
    "vedb-bak": ["backup"],
}
# Guests see this machine's whole memory: size each PostgreSQL for a small VPS instead.
HOST_DATA: dict[str, Any] = {
    "postgres_memory_mb": 1024,
    # The test machine (the bridge's address) is the operator's network.
    "postgres_allowed_networks": ["10.232.0.1/32"],
    "firewall_ssh_new_per_minute": 1000,  # the tests open an SSH connection per check
    # The single-host test covers NocoDB, the first security upgrades and AIDE's first record;
    # five guests repeating each took 100-400 s of this machine's two cores and its downloads.
    "nocodb": False,
    "security_upgrades_at_deploy": False,
    "file_integrity": False,
    # All the test's traffic comes from one address: 20 requests a second would be the limit.
    "proxy_rate_per_second": 500,
    "proxy_rate_burst": 1000,
}


@dataclass
class ClusterDeployment:
    lab: Lab
    workdir: Path
    secrets_file: Path = field(init=False)
    inventory_file: Path = field(init=False)
    secrets: DeploySecrets = field(init=False)

    def __post_init__(self) -> None:
        self.secrets_file = self.workdir / "secrets.toml"
        write_new_secrets(self.secrets_file)
        self.secrets = load_secrets(self.secrets_file)
        self.inventory_file = self.workdir / "inventory.toml"
        (self.workdir / "known_hosts").touch()

    def address(self, name: str) -> str:
        return self.lab[name].address

    def run(self, **host_data: Any) -> DeployRun:
        key = self.lab[next(iter(ROLES))].guest.key
        lines = [
            "[defaults]",
            'ssh_user = "root"',
            f'ssh_key = "{key}"',
            f'ssh_known_hosts_file = "{self.workdir / "known_hosts"}"',
            'ssh_strict_host_key_checking = "accept-new"',
            *(f"{k} = {json.dumps(v)}" for k, v in {**HOST_DATA, **host_data}.items()),
            "",
        ]
        for name, roles in ROLES.items():
            lines += [
                f'[hosts."{self.address(name)}"]',
                'environment = "staging"',
                f"roles = {json.dumps(roles)}",
                "",
            ]
        self.inventory_file.write_text("\n".join(lines))
        return run_pyinfra(self.inventory_file, self.secrets_file, timeout_s=1800)


@pytest.fixture(scope="package")
def lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("the cluster test boots systemd-nspawn hosts: run it as root")
    if os.environ.get("VEDB_CLUSTER_TEST") == "0":
        pytest.skip("VEDB_CLUSTER_TEST=0 leaves the cluster test out")
    with booted_lab(list(ROLES)) as booted:
        yield booted
    left = leftovers(booted)
    assert not left, f"the cluster's guests left: {left}"


@pytest.fixture(scope="package")
def cluster(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> ClusterDeployment:
    return ClusterDeployment(lab, tmp_path_factory.mktemp("cluster"))


@pytest.fixture(scope="package")
def first_run(cluster: ClusterDeployment) -> DeployRun:
    run = cluster.run()
    report(f"cluster first deploy's slowest steps: {run.slowest()}")
    # pyinfra's log names the failing step; the JSON after it only lists what came later.
    lines = run.output.splitlines()
    failing = [i for i, line in enumerate(lines) if "Error" in line and line.startswith("    [")]
    context = "\n".join(lines[max(0, failing[0] - 30) : failing[0] + 5]) if failing else ""
    assert run.returncode == 0, context or run.output[-8000:]
    return run
