"""The `vedb` command line: one module per command group, registered on one Typer app."""

from vedb.cli import (  # noqa: F401 -- registers the commands
    backup,
    bench,
    data,
    docs,
    health,
    local_stack,
    queries,
    serving,
    setup,
)
from vedb.cli.app import app

__all__ = ["app"]
