"""`vedb docs [--check]`: regenerate docs/ (ERDs, API reference), or fail when it is stale."""

from __future__ import annotations

from typing import Annotated

import psycopg
import typer

from vedb.cli.app import app, database_url, err, fail, load_settings, out
from vedb.databases import redact


@app.command()
def docs(
    check: Annotated[
        bool,
        typer.Option("--check", help="Fail with the diff when docs/ is stale; write nothing."),
    ] = False,
) -> None:
    """Regenerate docs/schema/erd-*.md (Mermaid ERDs from a scratch database migrated to head)
    and docs/ANALYTICS_API_REFERENCE.md (query headers and OpenAPI)."""
    from vedb.docs import generate as g  # noqa: PLC0415 -- imports the whole API app

    settings = load_settings()
    url = database_url(settings)
    try:
        documents = g.generate(url, settings)
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    if check:
        diff = g.stale(documents)
        if diff:
            print(diff, end="")
            raise fail("docs/ is stale: run `vedb docs` and commit the result")
        out.print(f"docs/ is current ({len(documents)} generated files).")
        return
    changed = g.write(documents)
    for path in changed:
        err.print(f"  wrote docs/{path}", highlight=False)
    out.print(f"docs/: {len(changed)} of {len(documents)} generated files changed.")
