"""The postgres exporter's own queries (monitoring/postgres-queries.yml) on a migrated database,
as a login in vedb_monitor, as the deploy makes it; and the rollups' backlog they read."""

from __future__ import annotations

from typing import Any

import psycopg
import yaml
from psycopg import sql

from vedb.access import MONITOR_ROLE
from vedb.settings import REPO_ROOT


def queries() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (REPO_ROOT / "monitoring" / "postgres-queries.yml").read_text()
    )
    return loaded


def test_the_exporters_queries_run_as_vedb_monitor_and_name_their_columns(
    migrated_db: str,
) -> None:
    login = "vedb_exporter_probe"
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
        conn.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(MONITOR_ROLE), sql.Identifier(login))
        )
        conn.execute(
            sql.SQL("GRANT pg_monitor TO {}").format(sql.Identifier(MONITOR_ROLE))
        )  # the deploy's grant
        # migrations.apply_all ran post-apply.sql: vedb_monitor may call rollup_backlog().
        try:
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(login)))
            for name, query in queries().items():
                cursor = conn.execute(query["query"])
                columns = [c.name for c in cursor.description or []]
                declared = [next(iter(metric)) for metric in query["metrics"]]
                assert columns == declared, name
                rows = cursor.fetchall()
                if name == "vedb_rollup_backlog":
                    assert rows == [(0, 0.0)]
                if name == "vedb_archiver":
                    assert rows == [("", 0, 0)]
        finally:
            conn.execute("RESET ROLE")
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(login)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(login)))


def test_the_backlog_counts_queued_events_and_ages_a_waiting_catch_up(migrated_db: str) -> None:
    with psycopg.connect(migrated_db) as conn:
        conn.execute(
            "INSERT INTO analytics.event_queue (id, occurred_at)"
            " SELECT generate_series(1, 7), now()"
        )
        conn.execute(
            "INSERT INTO analytics.rollup_stale (reason, queued_at) "
            "VALUES ('test', now() - interval '1 hour')"
        )
        queued, oldest = conn.execute(
            "SELECT queued_events, stale_oldest_seconds FROM analytics.rollup_backlog()"
        ).fetchone() or (None, None)
        conn.rollback()
    assert queued == 7
    assert oldest is not None and 3599 <= oldest <= 3700
