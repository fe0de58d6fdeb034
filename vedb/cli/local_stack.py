"""`vedb stack ...`: a throwaway local PostgreSQL and Redis, and the doctor that installs them."""

from __future__ import annotations

import os
import shutil
from typing import Annotated

import typer

from vedb.cli.app import (
    err,
    fail,
    load_settings,
    out,
    stack_app,
)
from vedb.stack import StackError, detached
from vedb.stack.doctor import (
    apt_install,
    missing_browser,
    missing_monitoring_tools,
    missing_node,
    missing_servers,
)


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
    out.print('URLs with their passwords: eval "$(vedb stack env)"')


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
    browser: Annotated[
        bool,
        typer.Option(
            help="Also check for the tests' tools: headless Chromium (the dashboard's test), "
            "Node with npm (the TypeScript types of `vedb docs`), and promtool and amtool "
            "(the alert rules' tests)."
        ),
    ] = False,
) -> None:
    """Check that PostgreSQL and Redis can be started here; optionally install them."""
    settings = load_settings()

    def missing() -> list[str]:
        tools = missing_browser() + missing_node() + missing_monitoring_tools() if browser else []
        return missing_servers(settings) + tools

    absent = missing()
    if absent and install and os.geteuid() == 0 and shutil.which("apt-get"):
        apt_install(absent)
        absent = missing()
    with_browser = browser and "chromium" not in absent
    if "chromium" in absent:  # only a test needs it, and that test skips without it
        err.print("[yellow]missing[/] chromium: the dashboard's browser test will be skipped")
        absent.remove("chromium")
    for package in absent:
        err.print(
            f"[red]missing[/] {package}: install it (`apt-get install {package}`), "
            "start a Docker engine, or set VEDB_TEST_*_URL"
        )
    if absent:
        raise typer.Exit(1)
    out.print(
        "PostgreSQL and Redis can be started here" + (", Chromium too." if with_browser else ".")
    )
