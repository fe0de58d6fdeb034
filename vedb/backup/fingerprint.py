"""What a restore is checked against: every table's row count and a checksum of its rows.

The checksum is the sum of a 64-bit slice of each row's md5, so it needs no ordering and no
memory beyond one row at a time: a 12M-row log is read once, never sorted or aggregated into
one string. Partitions are counted through their parent.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import psycopg
from psycopg import sql

TABLES = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2
"""
ROWS = (
    "SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)"
)


class TableFingerprint(NamedTuple):
    rows: int
    checksum: str


def fingerprint(conn: psycopg.Connection[Any]) -> dict[str, TableFingerprint]:
    """``{"schema.table": (rows, checksum)}`` for every table of the connected database, read
    in one REPEATABLE READ snapshot so the tables agree with each other."""
    result: dict[str, TableFingerprint] = {}
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for schema, table in conn.execute(TABLES).fetchall():
            query = sql.SQL(ROWS + " FROM {} t").format(sql.Identifier(schema, table))
            row = conn.execute(query).fetchone()
            assert row is not None  # an aggregate always returns a row
            result[f"{schema}.{table}"] = TableFingerprint(int(row[0]), str(row[1]))
    return result
