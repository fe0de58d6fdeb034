"""The `vedb` application, its command groups, and what every command shares."""

from __future__ import annotations

import re

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console

from vedb import __version__
from vedb.settings import Settings
from vedb.stack import detached

app = typer.Typer(help="V-EdFinance database stack.", no_args_is_help=True)
stack_app = typer.Typer(help="A throwaway local PostgreSQL and Redis.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
secrets_app = typer.Typer(help="Deploy secrets (never in git).", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")

SHAPES = {"VEDB_API_TOKENS": """'{"TOKEN": ["read", "analytics", "ingest"]}'"""}
out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    # soft_wrap: a long path or URL stays on one line, so it can be copied whole.
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    """The settings, or one line naming the bad variable and the shape it needs."""
    try:
        return Settings()
    except SettingsError as exc:  # a structured value that is not JSON
        field = re.search(r'field "([a-z_]+)"', str(exc))
        name = f"VEDB_{field.group(1).upper()}" if field else "a VEDB_ variable"
        raise fail(f"{name} is not valid JSON: expected e.g. {SHAPES.get(name, '...')}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        name = f"VEDB_{str(error['loc'][0]).upper()}" if error["loc"] else "VEDB_*"
        raise fail(f"{name}: {error['msg']} (got {error.get('input')!r})") from None


def database_url(settings: Settings) -> str:
    """VEDB_DATABASE_URL, else the database of the stack `vedb stack up` started."""
    if settings.database_url:
        return settings.database_url
    stack = detached.running_stack(settings)
    if stack is not None:
        return detached.app_database_url(stack)
    raise fail("no database: set VEDB_DATABASE_URL, or run `vedb stack up` first")


@app.command()
def version() -> None:
    """Print the package version."""
    out.print(__version__)
