"""`vedb docs [--check]`: regenerate docs/ (ERDs, API reference, TypeScript types), or fail
when it is stale or docs/types/check.ts does not type-check."""

from __future__ import annotations

from typing import Annotated

import psycopg
import typer
from rich.markup import escape

from vedb.cli.app import app, database_url, err, fail, load_settings, out
from vedb.databases import redact


@app.command()
def docs(
    check: Annotated[
        bool,
        typer.Option("--check", help="Fail with the diff when docs/ is stale; write nothing."),
    ] = False,
) -> None:
    """Regenerate docs/schema/erd-*.md (Mermaid ERDs from a scratch database migrated to head),
    docs/ANALYTICS_API_REFERENCE.md (query headers and OpenAPI) and docs/types/ (the Kysely DB
    interface and the API's types, made by kysely-codegen and openapi-typescript), then
    type-check docs/types/check.ts against them with tsc --strict."""
    from vedb.docs import generate as g  # noqa: PLC0415 -- imports the whole API app
    from vedb.docs.typescript import TypesError  # noqa: PLC0415

    settings = load_settings()
    url = database_url(settings)
    try:
        documents = g.generate(url, settings, say=_say)
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    except TypesError as exc:
        raise fail(escape(str(exc))) from exc
    if check:
        diff = g.stale(documents)
        print(diff, end="")
        typed = _type_checks(documents)
        if diff:
            raise fail("docs/ is stale: run `vedb docs` and commit the result")
        if not typed:
            raise typer.Exit(1)
        out.print(f"docs/ is current ({len(documents)} generated files); check.ts type-checks.")
        return
    changed = g.write(documents)
    for path in changed:
        _say(f"  wrote docs/{path}")
    out.print(f"docs/: {len(changed)} of {len(documents)} generated files changed.")
    if not _type_checks(documents):
        raise typer.Exit(1)


def _say(line: str) -> None:
    err.print(line, highlight=False, markup=False)


def _type_checks(documents: dict[str, str]) -> bool:
    """tsc over docs/types/check.ts against these types; prints its complaint when it fails."""
    from vedb.docs import typescript  # noqa: PLC0415

    try:
        typescript.type_check(typescript.install_tools(_say), documents)
    except typescript.TypesError as exc:
        fail(escape(str(exc)))  # prints the error; the caller decides the exit
        return False
    return True
