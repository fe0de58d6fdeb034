"""Each check reads PostgreSQL's statistics views and returns findings; thresholds in one place.

Severities: "ok" (looked, nothing to say), "info", "warning", "critical". A critical finding
needs action now (an invalid index, transaction-ID wraparound near, a sequence about to run
out, a connection limit about to be hit); `vedb health` exits non-zero on one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import psycopg

Severity = Literal["ok", "info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("ok", "info", "warning", "critical")
Connection = psycopg.Connection[Any]


@dataclass(frozen=True)
class Thresholds:
    min_hit_rate: float = 0.99  # heap and index blocks found in shared_buffers
    min_blocks_for_hit_rate: int = 10_000  # below this a fresh server's misses are noise
    slow_mean_ms: float = 100.0  # pg_stat_statements mean execution time
    slow_min_calls: int = 5
    long_query_s: float = 60.0  # active for longer than this: warning; 5x: critical
    idle_in_transaction_s: float = 60.0  # holds locks and snapshots: warning; 10x: critical
    connections_warning: float = 0.8  # share of max_connections in use
    connections_critical: float = 0.95
    seq_scan_rows: int = 10_000  # tables this big read mostly by sequential scans
    dead_share: float = 0.2  # dead tuples among all: a bloat estimate
    min_dead_tuples: int = 10_000
    stale_days: float = 7.0  # no (auto)vacuum / analyze for this long while rows changed
    xid_warning: float = 0.5  # share of the 2^31 transaction-ID space used
    xid_critical: float = 0.8
    sequence_warning: float = 0.9  # share of a sequence's range used
    sequence_critical: float = 0.99
    replica_lag_s: float = 60.0


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    subject: str  # a table, an index, a query, or "database"
    detail: str
    value: float | None = None


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: Callable[[Connection, Thresholds], list[Finding]]


def query_rows(conn: Connection, query: str, *params: object) -> list[tuple[Any, ...]]:
    return conn.execute(query, params or None).fetchall()


def cache_hit_rate(conn: Connection, t: Thresholds) -> list[Finding]:
    row = conn.execute(
        "SELECT sum(heap_blks_hit), sum(heap_blks_hit) + sum(heap_blks_read),"
        " sum(idx_blks_hit), sum(idx_blks_hit) + sum(idx_blks_read)"
        " FROM pg_statio_user_tables"
    ).fetchone()
    found = []
    for kind, (hit, total) in (("table", row[0:2]), ("index", row[2:4])) if row else ():
        if not total or total < t.min_blocks_for_hit_rate:
            found.append(Finding("cache_hit_rate", "ok", kind, f"{total or 0} blocks read so far"))
            continue
        rate = float(hit) / float(total)
        severity: Severity = "ok" if rate >= t.min_hit_rate else "warning"
        detail = f"{rate:.2%} of {kind} blocks from shared_buffers (target {t.min_hit_rate:.0%})"
        found.append(Finding("cache_hit_rate", severity, kind, detail, round(rate, 4)))
    return found


def slow_queries(conn: Connection, t: Thresholds) -> list[Finding]:
    installed = conn.execute("SELECT to_regclass('pg_stat_statements') IS NOT NULL").fetchone()
    if not installed or not installed[0]:
        return [
            Finding(
                "slow_queries",
                "info",
                "database",
                "pg_stat_statements is not installed here: CREATE EXTENSION pg_stat_statements",
            )
        ]
    rows = query_rows(
        conn,
        "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 120), calls, mean_exec_time"
        " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
        " WHERE datname = current_database()) AND calls >= %s AND mean_exec_time >= %s"
        " ORDER BY total_exec_time DESC LIMIT 10",
        t.slow_min_calls,
        t.slow_mean_ms,
    )
    return [
        Finding("slow_queries", "warning", q, f"{calls} calls, mean {mean:.0f} ms", round(mean, 1))
        for q, calls, mean in rows
    ]


def long_running_queries(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        "SELECT pid, left(regexp_replace(coalesce(query, ''), '\\s+', ' ', 'g'), 120),"
        " extract(epoch FROM now() - query_start)::float8"
        " FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend'"
        " AND pid <> pg_backend_pid() AND now() - query_start > make_interval(secs => %s)",
        t.long_query_s,
    )
    return [
        Finding(
            "long_running_queries",
            "critical" if seconds > 5 * t.long_query_s else "warning",
            f"pid {pid}",
            f"active {seconds:.0f} s: {query}",
            round(seconds, 1),
        )
        for pid, query, seconds in rows
    ]


def connections(conn: Connection, t: Thresholds) -> list[Finding]:
    row = conn.execute(
        "SELECT count(*), current_setting('max_connections')::int,"
        " count(*) FILTER (WHERE state = 'idle in transaction')"
        " FROM pg_stat_activity WHERE backend_type = 'client backend'"
    ).fetchone()
    used, limit, idle_tx = row if row else (0, 1, 0)
    share = used / limit
    severity: Severity = (
        "critical"
        if share >= t.connections_critical
        else "warning"
        if share >= t.connections_warning
        else "ok"
    )
    found = [
        Finding(
            "connections",
            severity,
            "database",
            f"{used} of {limit} connections in use, {idle_tx} idle in a transaction",
            round(share, 4),
        )
    ]
    idle = query_rows(
        conn,
        "SELECT pid, usename, extract(epoch FROM now() - state_change)::float8"
        " FROM pg_stat_activity WHERE state = 'idle in transaction'"
        " AND now() - state_change > make_interval(secs => %s)",
        t.idle_in_transaction_s,
    )
    found += [
        Finding(
            "connections",
            "critical" if seconds > 10 * t.idle_in_transaction_s else "warning",
            f"pid {pid} ({user})",
            f"idle in a transaction for {seconds:.0f} s: it holds its locks and snapshot",
            round(seconds, 1),
        )
        for pid, user, seconds in idle
    ]
    return found


def xid_wraparound(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        "SELECT datname, age(datfrozenxid)::float8 / 2147483648 FROM pg_database"
        " WHERE datallowconn ORDER BY 2 DESC",
    )
    found = []
    for name, used in rows:
        severity: Severity = (
            "critical" if used >= t.xid_critical else "warning" if used >= t.xid_warning else "ok"
        )
        detail = f"{used:.1%} of the transaction-ID space used, {1 - used:.1%} headroom"
        found.append(Finding("xid_wraparound", severity, name, detail, round(used, 4)))
    return found


def replication_lag(conn: Connection, t: Thresholds) -> list[Finding]:
    rows = query_rows(
        conn,
        "SELECT coalesce(application_name, client_addr::text, pid::text),"
        " coalesce(extract(epoch FROM replay_lag), 0)::float8 FROM pg_stat_replication",
    )
    if not rows:
        return [Finding("replication_lag", "ok", "database", "no replicas")]
    return [
        Finding(
            "replication_lag",
            "warning" if lag > t.replica_lag_s else "ok",
            name,
            f"replays {lag:.1f} s behind",
            round(lag, 1),
        )
        for name, lag in rows
    ]


def wal_archiving(conn: Connection, t: Thresholds) -> list[Finding]:
    """Backups need every WAL segment archived; a failing archive_command also keeps every
    segment in pg_wal until it succeeds, so the disk fills."""
    (mode, archived, failed, last_wal, age_s, failed_wal, failing), *_ = query_rows(
        conn,
        "SELECT current_setting('archive_mode'), archived_count, failed_count,"
        " last_archived_wal, extract(epoch FROM now() - last_archived_time)::float8,"
        " last_failed_wal, last_failed_time > coalesce(last_archived_time, '-infinity')"
        " FROM pg_stat_archiver",
    )
    if mode == "off":
        detail = "archive_mode is off: no point-in-time restore (a deployed db host archives)"
        return [Finding("wal_archiving", "info", "database", detail)]
    if failing:
        detail = (
            f"archiving {failed_wal} fails ({failed} failures): backups stop and pg_wal grows;"
            " see /var/log/pgbackrest and the PostgreSQL log"
        )
        return [Finding("wal_archiving", "critical", "database", detail, float(failed))]
    if last_wal is None:
        return [Finding("wal_archiving", "ok", "database", "on; no segment finished yet")]
    detail = f"{archived} segments archived, the last ({last_wal}) {age_s:.0f} s ago"
    return [Finding("wal_archiving", "ok", "database", detail, round(age_s, 1))]
