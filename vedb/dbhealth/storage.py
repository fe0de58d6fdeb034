"""The checks of tables, indexes and sequences: PgHero's index advice, bloat and vacuum."""

from __future__ import annotations

from vedb.dbhealth.checks import Connection, Finding, Severity, Thresholds, query_rows

# Indexes of the project's schemas only; pg_catalog's and the toast tables' are the server's.
INDEXES = """
SELECT i.*, c.relname, c.relam, n.nspname
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
"""


def invalid_indexes(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        f"WITH i AS ({INDEXES}) SELECT nspname || '.' || relname FROM i"  # noqa: S608
        " WHERE NOT indisvalid ORDER BY 1",
    )
    return [
        Finding(
            "invalid_indexes",
            "critical",
            name,
            "INVALID (an interrupted CREATE INDEX CONCURRENTLY): DROP INDEX CONCURRENTLY it, then"
            " build it again",
        )
        for (name,) in rows
    ]


def unused_indexes(conn: Connection, t: Thresholds) -> list[Finding]:
    # A partitioned table's index counts as one, its partitions' scans and sizes summed: an
    # old month nobody reads is no unused index while the index serves the newer ones.
    rows = query_rows(
        conn,
        "WITH s AS (SELECT coalesce(p.inhparent, s.indexrelid) AS idx, s.idx_scan,"
        " pg_relation_size(s.indexrelid) AS size FROM pg_stat_user_indexes AS s"
        " LEFT JOIN pg_inherits AS p ON p.inhrelid = s.indexrelid)"
        " SELECT n.nspname || '.' || c.relname, sum(s.size)::bigint FROM s"
        " JOIN pg_index AS i ON i.indexrelid = s.idx JOIN pg_class AS c ON c.oid = s.idx"
        " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE NOT i.indisunique AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT FROM pg_constraint AS k WHERE k.conindid = s.idx)"
        " GROUP BY 1 HAVING sum(s.idx_scan) = 0 ORDER BY 2 DESC, 1",
    )
    return [
        Finding(
            "unused_indexes",
            "info",
            name,
            f"never scanned since statistics were reset ({size / 1024:,.0f} kB to keep current)",
            float(size),
        )
        for name, size in rows
    ]


def duplicate_indexes(conn: Connection, t: Thresholds) -> list[Finding]:
    """An index whose key columns lead another index's on the same table, with the same
    predicate and no expression, is covered by it (unless it enforces uniqueness)."""
    rows = query_rows(
        conn,
        f"WITH i AS ({INDEXES})"  # noqa: S608 -- constants only
        " SELECT a.nspname || '.' || a.relname, b.nspname || '.' || b.relname"
        " FROM i AS a JOIN i AS b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid"
        " WHERE NOT a.indisunique AND a.indexprs IS NULL AND b.indexprs IS NULL"
        " AND a.relam = b.relam"
        " AND coalesce(pg_get_expr(a.indpred, a.indrelid), '') ="
        "     coalesce(pg_get_expr(b.indpred, b.indrelid), '')"
        " AND (a.indkey::int2[])[0:a.indnkeyatts - 1] = (b.indkey::int2[])[0:a.indnkeyatts - 1]"
        " AND a.indnkeyatts <= b.indnkeyatts"
        # Of two identical indexes, report one.
        " AND (a.indnkeyatts < b.indnkeyatts OR a.indexrelid > b.indexrelid)"
        " ORDER BY 1, 2",
    )
    return [
        Finding("duplicate_indexes", "warning", dup, f"covered by {by}: drop it")
        for dup, by in rows
    ]


def missing_indexes(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        "SELECT schemaname || '.' || relname, seq_scan, coalesce(idx_scan, 0), n_live_tup"
        " FROM pg_stat_user_tables WHERE n_live_tup >= %s AND seq_scan > coalesce(idx_scan, 0)"
        " ORDER BY seq_tup_read DESC",
        t.seq_scan_rows,
    )
    return [
        Finding(
            "missing_indexes",
            "warning",
            name,
            f"{seq:,} sequential scans against {idx:,} index scans over {rows:,} rows: find the"
            " query in pg_stat_statements and index its filter",
            float(seq),
        )
        for name, seq, idx, rows in rows
    ]


def bloat(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        "SELECT schemaname || '.' || relname, n_dead_tup,"
        " n_dead_tup::float8 / nullif(n_live_tup + n_dead_tup, 0)"
        " FROM pg_stat_user_tables WHERE n_dead_tup >= %s"
        " AND n_dead_tup::float8 / nullif(n_live_tup + n_dead_tup, 0) >= %s ORDER BY 2 DESC",
        t.min_dead_tuples,
        t.dead_share,
    )
    return [
        Finding(
            "bloat",
            "warning",
            name,
            f"{share:.0%} of rows are dead ({dead:,}): an estimate; VACUUM reclaims them for reuse",
            round(share, 4),
        )
        for name, dead, share in rows
    ]


def vacuum_analyze_staleness(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        "SELECT schemaname || '.' || relname,"
        " greatest(last_vacuum, last_autovacuum), greatest(last_analyze, last_autoanalyze),"
        " n_mod_since_analyze, n_live_tup"
        " FROM pg_stat_user_tables"
        " WHERE n_mod_since_analyze > 1000 AND n_mod_since_analyze > n_live_tup / 10"
        " AND coalesce(greatest(last_analyze, last_autoanalyze), '-infinity')"
        "     < now() - make_interval(secs => %s)"
        " ORDER BY n_mod_since_analyze DESC",
        t.stale_days * 86_400,
    )
    return [
        Finding(
            "vacuum_analyze_staleness",
            "warning",
            name,
            f"{changed:,} rows changed since the last analyze ({analyzed or 'never'}), last vacuum"
            f" {vacuumed or 'never'}: ANALYZE it, and check autovacuum",
            float(changed),
        )
        for name, vacuumed, analyzed, changed, _ in rows
    ]


def sequences(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        "SELECT s.schemaname || '.' || s.sequencename,"
        " (coalesce(s.last_value, s.start_value) - s.min_value)::float8"
        "   / nullif(s.max_value - s.min_value, 0),"
        # Without SELECT on a sequence, its last_value reads as NULL: say so, never guess.
        " has_sequence_privilege(c.oid, 'SELECT')"
        " FROM pg_sequences AS s"
        " JOIN pg_namespace AS n ON n.nspname = s.schemaname"
        " JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = s.sequencename"
        " WHERE NOT s.cycle ORDER BY 2 DESC",
    )
    found = []
    unreadable = sorted(name for name, _, readable in rows if not readable)
    if unreadable:
        found.append(
            Finding(
                "sequences",
                "info",
                ", ".join(unreadable[:5]) + (" ..." if len(unreadable) > 5 else ""),
                f"{len(unreadable)} sequence(s) this role may not read: GRANT SELECT on them",
            )
        )
    for name, used, readable in rows:
        if not readable or used is None or used < t.sequence_warning:
            continue
        severity: Severity = "critical" if used >= t.sequence_critical else "warning"
        detail = f"{used:.1%} of its range used: widen it (ALTER SEQUENCE ... AS bigint)"
        found.append(Finding("sequences", severity, name, detail, round(used, 4)))
    return found
