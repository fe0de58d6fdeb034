"""The `vedb` command line: one module per command group, registered on one Typer app."""

from vedb.cli import bench, data, health, local_stack, queries, serving, setup  # noqa: F401
from vedb.cli.app import app

__all__ = ["app"]
