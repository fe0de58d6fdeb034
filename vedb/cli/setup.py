"""`vedb tune` and `vedb secrets ...`: a host's configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vedb.cli.app import (
    app,
    fail,
    out,
    secrets_app,
)
from vedb.pgconf import render_postgresql_conf
from vedb.provision.secrets import (
    OPERATOR,
    SecretsError,
    load_secrets,
    parse_token_specs,
    write_new_secrets,
)
from vedb.tuning import DISKS, PROFILES


@app.command()
def tune(
    memory: Annotated[str, typer.Option(help="RAM, e.g. 4GB or 2048MB.")],
    cpus: Annotated[int, typer.Option(min=1)],
    profile: Annotated[str, typer.Option(help="web, oltp, dw, mixed or desktop.")] = "web",
    disk: Annotated[str, typer.Option(help="hdd, ssd or nvme.")] = "ssd",
    pg: Annotated[int, typer.Option(help="PostgreSQL major version.")] = 15,
    connections: Annotated[
        int | None, typer.Option(help="max_connections (default: per profile).")
    ] = None,
) -> None:
    """Print the tuned postgresql.conf for a host (PGTune's formulas)."""
    size = memory.strip().upper()
    units = {"GB": 1024, "MB": 1}
    unit = next((u for u in units if size.endswith(u)), None)
    if unit is None or not size[: -len(unit)].strip().isdigit():
        raise fail(f"--memory {memory!r}: use a whole number of GB or MB, e.g. 4GB")
    if profile not in PROFILES:
        raise fail(f"--profile {profile!r}: choose one of {', '.join(PROFILES)}")
    if disk not in DISKS:
        raise fail(f"--disk {disk!r}: choose one of {', '.join(DISKS)}")
    memory_mb = int(size[: -len(unit)]) * units[unit]
    try:
        text = render_postgresql_conf(
            host="(vedb tune)",
            memory_mb=memory_mb,
            cpus=cpus,
            disk=disk,
            profile=profile,
            pg_major=pg,
            max_connections=connections,
        )
    except ValueError as exc:
        raise fail(str(exc)) from exc
    print(text, end="")


@secrets_app.command("new")
def secrets_new(
    path: Annotated[Path, typer.Argument(help="Where to write it, e.g. secrets/production.toml.")],
    token: Annotated[
        list[str] | None,
        typer.Option(
            help="A client's token: NAME=SCOPE[,SCOPE] (read, analytics, ingest, admin); repeat"
            " it, one per client. Without it: one 'operator' token with every scope."
        ),
    ] = None,
) -> None:
    """Write a deploy secrets file of fresh random values, mode 0600; never overwrites one."""
    try:
        tokens = parse_token_specs(token or [])
        write_new_secrets(path, tokens or None)
    except SecretsError as exc:
        raise fail(str(exc)) from None
    except FileExistsError:
        raise fail(f"{path} already exists: edit it, or remove it first to start over") from None
    named = ", ".join(f"{n} ({'+'.join(s)})" for n, s in (tokens or OPERATOR).items())
    out.print(f"wrote {path} (mode 0600): the passwords and API tokens for {named}", soft_wrap=True)


@secrets_app.command("check")
def secrets_check(
    path: Annotated[Path, typer.Argument(help="The secrets file the deploy will read.")],
) -> None:
    """Validate a secrets file (and VEDB_SECRET_* overrides) as the deploy would."""
    try:
        loaded = load_secrets(path)
    except SecretsError as exc:
        raise fail(str(exc)) from None
    out.print(f"{path}: ok, {len(loaded.api_tokens)} API token(s)")
