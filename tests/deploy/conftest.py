"""Fixtures for the end-to-end deploy: a booted throwaway host and the real pyinfra CLI on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import report
from tests.deploy.testhost import GATEWAY, Guest, booted_host, leftovers
from vedb.provision.secrets import DeploySecrets, load_secrets, write_new_secrets
from vedb.settings import REPO_ROOT

WEBHOOK_PORT = 19093  # on the gateway address: Alertmanager's receiver in the deploy test


@dataclass
class DeployRun:
    returncode: int
    output: str  # pyinfra's log (stderr)
    results: dict[str, Any]  # `--json` results: per operation, the hosts it changed
    seconds: float
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, wall seconds), in order

    def changed(self) -> list[str]:
        """The operations that changed something (pyinfra's "Success" column)."""
        return [op["name"] for op in self.results.get("operations", []) if op["success"]]

    def unchanged(self) -> int:
        return int(self.results.get("totals", {}).get("no_change", 0))

    def slowest(self, count: int = 8) -> str:
        """The steps that took longest, for a figure line: where a slow deploy spends its time."""
        ranked = sorted(self.steps, key=lambda step: step[1], reverse=True)[:count]
        return "; ".join(f"{name} {seconds:.0f} s" for name, seconds in ranked)


class Deployment:
    """`pyinfra inventory.py deploy.py` from the repository, at a host from an inventory file."""

    def __init__(self, host: Guest, workdir: Path) -> None:
        self.host, self.workdir = host, workdir
        self.secrets_file = workdir / "secrets.toml"
        write_new_secrets(self.secrets_file)
        self.secrets: DeploySecrets = load_secrets(self.secrets_file)
        self.inventory_file = workdir / "inventory.toml"

    def run(self, **host_data: Any) -> DeployRun:
        data = {
            "postgres_listen_addresses": "*",
            "postgres_allowed_networks": ["10.231.0.0/24"],
            # The tests open an SSH connection per check, far more than a person would.
            "firewall_ssh_new_per_minute": 1000,
            # Alertmanager posts to a receiver on this machine (tests/deploy/test_monitoring.py);
            # scrapes and the first notification come sooner than in production.
            "alert_webhook_url": f"http://{GATEWAY}:{WEBHOOK_PORT}/alerts",
            "scrape_interval": "5s",
            "alert_group_wait": "5s",
            **host_data,
        }
        lines = [
            "[defaults]",
            'ssh_user = "root"',
            f'ssh_key = "{self.host.key}"',
            f'ssh_known_hosts_file = "{self.host.known_hosts}"',
            'ssh_strict_host_key_checking = "accept-new"',
            "",
            f'[hosts."{self.host.address}"]',
            'environment = "staging"',
            # JSON's scalars and arrays are valid TOML values.
            *(f"{key} = {json.dumps(value)}" for key, value in data.items()),
        ]
        self.inventory_file.write_text("\n".join(lines) + "\n")
        return run_pyinfra(self.inventory_file, self.secrets_file)


STEP_MARK = "--> Starting operation: "


def run_pyinfra(inventory_file: Path, secrets_file: Path, timeout_s: float = 1200) -> DeployRun:
    """`pyinfra --json -y inventory.py deploy.py` from the repository, at the hosts of
    ``inventory_file`` (VEDB_INVENTORY_FILE). Its log is read as it comes, so each step's wall
    time is known (pyinfra runs one step on every host before the next)."""
    env = {
        **os.environ,
        "VEDB_INVENTORY_FILE": str(inventory_file),
        "VEDB_SECRETS_FILE": str(secrets_file),
    }
    pyinfra = str(Path(sys.executable).parent / "pyinfra")
    started = time.monotonic()
    command = [pyinfra, "--json", "-y", "inventory.py", "deploy.py"]
    with subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        stdout: list[str] = []
        reader = threading.Thread(target=lambda: stdout.append(process.stdout.read()))  # type: ignore[union-attr]
        reader.start()
        # A hung deploy is killed at the bound, and the test fails as subprocess.run's would.
        killer = threading.Timer(timeout_s, process.kill)
        killer.start()
        log: list[str] = []
        marks: list[tuple[str, float]] = []
        try:
            for line in process.stderr:
                log.append(line)
                if line.startswith(STEP_MARK):
                    marks.append((line[len(STEP_MARK) :].strip(), time.monotonic()))
            returncode = process.wait()
        finally:
            killer.cancel()
            reader.join()
    ended = time.monotonic()
    if ended - started >= timeout_s:
        raise subprocess.TimeoutExpired(command, timeout_s, "".join(stdout), "".join(log))
    try:
        results = json.loads("".join(stdout)).get("results") or {}
    except json.JSONDecodeError:
        results = {}
    steps = [
        (name, (marks[i + 1][1] if i + 1 < len(marks) else ended) - at)
        for i, (name, at) in enumerate(marks)
    ]
    run = DeployRun(returncode, "".join(log) + "".join(stdout), results, ended - started, steps)
    print(
        f"\npyinfra deploy: exit {run.returncode} in {run.seconds:.1f} s, "
        f"{len(run.changed())} operations changed"
    )
    return run


@pytest.fixture(scope="package")
def vps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guest]:
    if os.geteuid() != 0:
        pytest.skip("the deploy test boots a systemd-nspawn host: run it as root")
    started = time.monotonic()
    with booted_host() as host:
        print(f"\ntest host booted in {time.monotonic() - started:.1f} s")
        yield host
    left = leftovers(host.root)
    assert not left, f"the test host left: {left}"


@pytest.fixture(scope="package")
def deployment(vps: Guest, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return Deployment(vps, tmp_path_factory.mktemp("deploy"))


@pytest.fixture(scope="package")
def first_run(deployment: Deployment) -> DeployRun:
    run = deployment.run()
    report(f"single-host first deploy: {run.seconds:.0f} s; slowest steps: {run.slowest()}")
    assert run.returncode == 0, run.output[-6000:]
    return run
