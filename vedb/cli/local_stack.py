"""`vedb stack ...`: a throwaway local PostgreSQL and Redis, and the doctor that installs them."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Annotated

import typer

from vedb.cli.app import (
    err,
    fail,
    load_settings,
    out,
    stack_app,
)
from vedb.settings import Settings
from vedb.stack import StackError, detached
from vedb.stack.binaries import postgres_bin_dir, redis_server_binary
from vedb.stack.stack import docker_answers


@stack_app.command("up")
def stack_up() -> None:
    """Start PostgreSQL and Redis (Docker if an engine answers, else local binaries)."""
    settings = load_settings()
    try:
        stack, started = detached.up(settings)
    except StackError as exc:
        raise fail(str(exc)) from exc
    out.print("Stack started." if started else "Stack already running.")
    out.print(f"PostgreSQL  {stack.postgres.describe()}", highlight=False)
    out.print(f"Redis       {stack.redis.describe()}", highlight=False)
    out.print('For other shells: eval "$(vedb stack env)"; stop with: vedb stack down')


@stack_app.command("env")
def stack_env() -> None:
    """Print `export` lines for the running stack, for `eval "$(vedb stack env)"`."""
    stack = detached.running_stack(load_settings())
    if stack is None:
        raise fail("no stack is running: start one with `vedb stack up`")
    print(f"export VEDB_DATABASE_URL='{detached.app_database_url(stack)}'")
    print(f"export VEDB_REDIS_URL='{stack.redis.url}'")


@stack_app.command("status")
def stack_status() -> None:
    """Say whether a stack is running, and where."""
    stack = detached.running_stack(load_settings())
    if stack is None:
        out.print("No stack running.")
        raise typer.Exit(3)
    out.print(f"PostgreSQL  {stack.postgres.describe()}", highlight=False)
    out.print(f"Redis       {stack.redis.describe()}", highlight=False)


@stack_app.command("down")
def stack_down() -> None:
    """Stop the stack and delete everything it left in temp dirs."""
    try:
        stack = detached.down(load_settings())
    except StackError as exc:
        raise fail(str(exc)) from exc
    out.print("Stack stopped; its temp dirs are gone." if stack else "No stack was running.")


@stack_app.command("doctor")
def stack_doctor(
    install: Annotated[
        bool, typer.Option(help="As root, apt-get install the server binaries that are missing.")
    ] = False,
) -> None:
    """Check that PostgreSQL and Redis can be started here; optionally install them."""
    settings = load_settings()
    missing = _missing_servers(settings)
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        _apt_install(missing)
        missing = _missing_servers(settings)
    for package in missing:
        err.print(
            f"[red]missing[/] {package}: install it (`apt-get install {package}`), "
            "start a Docker engine, or set VEDB_TEST_*_URL"
        )
    if missing:
        raise typer.Exit(1)
    out.print("PostgreSQL and Redis can be started here.")


def _missing_servers(settings: Settings) -> list[str]:
    if settings.stack_backend != "local" and docker_answers():
        return []
    missing = []
    if not settings.test_database_url and postgres_bin_dir() is None:
        missing.append("postgresql")
    if not settings.test_redis_url and redis_server_binary() is None:
        missing.append("redis-server")
    return missing


def _apt_install(packages: list[str]) -> None:
    err.print(f"Installing {' '.join(packages)} with apt-get ...")
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
