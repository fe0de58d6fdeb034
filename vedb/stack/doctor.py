"""The stack's doctor: which server binaries are missing, and installing them with apt.

Only the binaries are wanted: while apt installs, a policy-rc.d keeps the packages from
starting system-wide servers, and it is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from vedb.settings import Settings
from vedb.stack.binaries import postgres_bin_dir, redis_server_binary
from vedb.stack.stack import docker_answers

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str | None:
    """A headless-capable Chromium, for the dashboard's browser test."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def missing_browser() -> list[str]:
    return [] if browser() else ["chromium"]


def missing_node() -> list[str]:
    """Node and npm run the TypeScript tools of `vedb docs` (kysely-codegen, tsc)."""
    return [] if shutil.which("node") and shutil.which("npm") else ["nodejs", "npm"]


def missing_monitoring_tools() -> list[str]:
    """promtool and amtool check the alert rules and the rendered Alertmanager configuration."""
    tools = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}
    return [package for tool, package in tools.items() if not shutil.which(tool)]


def missing_servers(settings: Settings) -> list[str]:
    if settings.stack_backend != "local" and docker_answers():
        return []
    missing = []
    if not settings.test_database_url and postgres_bin_dir() is None:
        missing.append("postgresql")
    if not settings.test_redis_url and redis_server_binary() is None:
        missing.append("redis-server")
    return missing


def apt_install(packages: list[str]) -> None:
    print(f"Installing {' '.join(packages)} with apt-get ...", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    # Only the binaries are wanted: keep the packages from starting system-wide servers.
    policy = "/usr/sbin/policy-rc.d"
    had_policy = os.path.exists(policy)
    if not had_policy:
        with open(policy, "w") as fh:
            fh.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)  # noqa: S103 -- invoke-rc.d runs it, so it must be executable
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            check=True,
            env=env,
        )
    finally:
        if not had_policy:
            os.remove(policy)
