"""Builds every generated document in memory, then writes it to docs/ or diffs it (--check)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from vedb import migrations
from vedb.analytics.catalog import load_catalog
from vedb.api.app import create_app
from vedb.databases import create_database, drop_database
from vedb.docs import typescript
from vedb.docs.api_reference import reference
from vedb.docs.schema import DOMAINS, domain_markdown, read_domain
from vedb.settings import REPO_ROOT, Settings

DOCS = REPO_ROOT / "docs"
API_REFERENCE = "ANALYTICS_API_REFERENCE.md"


def schema_docs(server_url: str, migrations_dir: Path, tools: Path) -> dict[str, str]:
    """docs/schema/erd-<domain>.md for each domain and the Kysely types, from a scratch
    database at head."""
    scratch = create_database(server_url, prefix="vedb_docs")
    try:
        migrations.apply_all(scratch, migrations_dir)
        with psycopg.connect(scratch) as conn:
            documents = {
                f"schema/erd-{domain}.md": domain_markdown(domain, read_domain(conn, domain))
                for domain in DOMAINS
            }
        documents[typescript.DATABASE_TS] = typescript.database_types(tools, scratch)
        return documents
    finally:
        drop_database(scratch)


def openapi(settings: Settings) -> dict[str, Any]:
    # The OpenAPI document needs no database: only a URL for the settings to accept.
    app = create_app(settings.model_copy(update={"database_url": "postgresql://docs@localhost/"}))
    return app.openapi()


def generate(
    server_url: str, settings: Settings, say: Callable[[str], None] = print
) -> dict[str, str]:
    """Every generated file, by its path under docs/."""
    tools = typescript.install_tools(say)
    documents = schema_docs(server_url, settings.migrations_dir, tools)
    spec = openapi(settings)
    documents[API_REFERENCE] = reference(load_catalog(settings.queries_dir), spec)
    documents[typescript.API_TS] = typescript.api_types(tools, spec)
    return documents


def write(documents: dict[str, str], root: Path = DOCS) -> list[str]:
    """Writes what changed; returns those paths, relative to ``root``."""
    changed = []
    for relative, text in sorted(documents.items()):
        path = root / relative
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(relative)
    return changed


def stale(documents: dict[str, str], root: Path = DOCS) -> str:
    """A unified diff from the committed files to the generated ones; empty when current."""
    diff: list[str] = []
    for relative, text in sorted(documents.items()):
        path = root / relative
        old = path.read_text().splitlines(keepends=True) if path.exists() else []
        diff += difflib.unified_diff(
            old, text.splitlines(keepends=True), f"a/docs/{relative}", f"b/docs/{relative}"
        )
    return "".join(diff)
