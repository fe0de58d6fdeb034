"""One domain's tables from the catalogue of a migrated database: a Mermaid erDiagram with
columns, keys and relations, then a table per table of its columns, constraints and indexes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

DOMAINS = ("learning", "gamification", "social", "analytics")
Connection = psycopg.Connection[Any]

COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type AS t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef AS d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
ORDER BY c.relname, a.attnum
"""
TABLES = """
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class')
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
-- A partitioned table is documented once, not per partition (the event log's months).
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
ORDER BY c.relname
"""
CONSTRAINTS = """
SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid),
       array(SELECT a.attname FROM unnest(k.conkey) AS u (n)
             JOIN pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.n),
       fn.nspname, f.relname
FROM pg_constraint AS k
JOIN pg_class AS c ON c.oid = k.conrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_class AS f ON f.oid = k.confrelid
LEFT JOIN pg_namespace AS fn ON fn.oid = f.relnamespace
WHERE n.nspname = %s AND NOT c.relispartition ORDER BY c.relname, k.contype, k.conname
"""
INDEXES = """
SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
FROM pg_index AS x
JOIN pg_class AS c ON c.oid = x.indrelid
JOIN pg_class AS i ON i.oid = x.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND NOT c.relispartition ORDER BY c.relname, i.relname
"""


@dataclass
class Column:
    name: str
    type: str
    short_type: str
    not_null: bool
    default: str | None
    comment: str | None


@dataclass
class Table:
    name: str
    kind: str  # "table" or "view"
    comment: str | None
    columns: list[Column] = field(default_factory=list)
    primary: list[str] = field(default_factory=list)
    foreign: list[tuple[str, list[str], str]] = field(default_factory=list)  # name, cols, target
    constraints: list[tuple[str, str]] = field(default_factory=list)  # name, definition
    indexes: list[tuple[str, str]] = field(default_factory=list)


def read_domain(conn: Connection, schema: str) -> list[Table]:
    tables = {
        name: Table(name, "view" if kind == "v" else "table", comment)
        for name, kind, comment in conn.execute(TABLES, (schema,))
    }
    for table, *column in conn.execute(COLUMNS, (schema,)):
        tables[table].columns.append(Column(*column))
    for table, name, kind, definition, columns, target_schema, target in conn.execute(
        CONSTRAINTS, (schema,)
    ):
        tables[table].constraints.append((name, definition))
        if kind == "p":
            tables[table].primary = list(columns)
        elif kind == "f":
            tables[table].foreign.append((name, list(columns), f"{target_schema}.{target}"))
    for table, name, definition in conn.execute(INDEXES, (schema,)):
        tables[table].indexes.append((name, definition.split(" USING ", 1)[-1]))
    return list(tables.values())


def _entity(qualified: str) -> str:
    return qualified.replace(".", "__")


def _mermaid_type(column: Column) -> str:
    # Mermaid takes one word: arrays (_int8 in the catalogue) become int8_array.
    name = column.short_type
    return f"{name[1:]}_array" if name.startswith("_") else name


def erd(schema: str, tables: list[Table]) -> list[str]:
    lines = ["```mermaid", "erDiagram"]
    for table in tables:
        if table.kind == "view":
            continue
        keyed = {c for _, cols, _ in table.foreign for c in cols}
        lines.append(f"    {_entity(f'{schema}.{table.name}')} {{")
        for column in table.columns:
            flags = (("PK", column.name in table.primary), ("FK", column.name in keyed))
            keys = ",".join(k for k, on in flags if on)
            kind = _mermaid_type(column)
            lines.append(f"        {kind} {column.name}{' ' + keys if keys else ''}")
        lines.append("    }")
    for table in tables:
        for _, columns, target in table.foreign:
            label = ", ".join(columns)
            lines.append(
                f'    {_entity(target)} ||--o{{ {_entity(f"{schema}.{table.name}")} : "{label}"'
            )
    lines.append("```")
    return lines


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def domain_markdown(schema: str, tables: list[Table]) -> str:
    lines = [
        f"# The `{schema}` schema",
        "",
        "Generated by `vedb docs` from a database migrated to head; do not edit by hand.",
        "`vedb docs --check` fails when this file is stale.",
        "",
        *erd(schema, tables),
    ]
    for table in tables:
        lines += ["", f"## {schema}.{table.name}" + (" (view)" if table.kind == "view" else "")]
        if table.comment:
            lines += ["", _cell(table.comment)]
        lines += ["", "| column | type | null | default | comment |", "|---|---|---|---|---|"]
        for c in table.columns:
            lines.append(
                f"| {c.name} | {_cell(c.type)} | {'' if c.not_null else 'yes'} |"
                f" {_cell(c.default)} | {_cell(c.comment)} |"
            )
        if table.constraints:
            lines += ["", "| constraint | definition |", "|---|---|"]
            lines += [f"| {name} | {_cell(d)} |" for name, d in table.constraints]
        if table.indexes:
            lines += ["", "| index | definition |", "|---|---|"]
            lines += [f"| {name} | {_cell(d)} |" for name, d in table.indexes]
    return "\n".join(lines) + "\n"
