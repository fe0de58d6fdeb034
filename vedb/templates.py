"""Renders the jinja2 files in templates/: StrictUndefined, so a missing value is an error."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from vedb.settings import REPO_ROOT

TEMPLATES = REPO_ROOT / "templates"


@cache
def _environment() -> Environment:
    # Config files, not HTML: autoescaping would corrupt them.
    return Environment(  # noqa: S701
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)
