"""What the migrations own, read from the system catalogs, for before/after comparisons."""

from __future__ import annotations

import psycopg

from vedb.settings import Settings

# The migration ids, from migrations/ itself: a new migration needs no test edited.
MIGRATION_IDS = sorted(
    p.name.removesuffix(".sql")
    for p in Settings().migrations_dir.glob("*.sql")
    if not p.name.endswith(".rollback.sql") and p.name != "post-apply.sql"
)
HEAD = MIGRATION_IDS[-1]

PROJECT_SCHEMAS = ("learning", "gamification", "social", "analytics", "ops")


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Schemas, relations (tables, indexes, sequences), types, constraints and grants."""
    queries = {
        "schemas": "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%(s)s) ORDER BY 1",
        "relations": """
            SELECT n.nspname, c.relname, c.relkind, c.relispartition
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(%(s)s) ORDER BY 1, 2""",
        "types": """
            SELECT n.nspname, t.typname
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = ANY(%(s)s) ORDER BY 1, 2""",
        "constraints": """
            SELECT n.nspname, conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = ANY(%(s)s) ORDER BY 1, 2""",
        "grants": """
            SELECT table_schema, table_name, grantee, privilege_type
            FROM information_schema.role_table_grants
            WHERE table_schema = ANY(%(s)s) ORDER BY 1, 2, 3, 4""",
        "yoyo_log": "SELECT count(*) FROM _yoyo_log",
    }
    with psycopg.connect(url) as conn:
        has_yoyo = conn.execute("SELECT to_regclass('_yoyo_log') IS NOT NULL").fetchone()
        result = {}
        for name, sql in queries.items():
            if name == "yoyo_log" and not (has_yoyo and has_yoyo[0]):
                result[name] = []
                continue
            result[name] = conn.execute(sql, {"s": list(PROJECT_SCHEMAS)}).fetchall()
        return result
