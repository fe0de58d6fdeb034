"""Loads a generated dataset: guarded, in one transaction, with binary COPY and late indexes.

Keys, unique constraints, foreign keys and indexes are dropped after the TRUNCATE and rebuilt
after the COPY, from their own definitions in the catalog (so the migrations stay the only
place that defines them). Building an index once over sorted data is far cheaper than
maintaining it row by row, and re-adding a foreign key checks the whole table in one join.
Everything happens in one transaction: a failed or interrupted seed changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from vedb.seed import partitions, pgcopy
from vedb.seed.progress import LoadProgress
from vedb.seed.tables import Dataset

CHUNK_ROWS = 100_000
Connection = psycopg.Connection[tuple[object, ...]]


class SeedRefused(RuntimeError):
    """The database holds data the seeder must not replace without --force."""


@dataclass(frozen=True)
class TableLoad:
    table: str
    rows: int
    bytes: int
    seconds: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


@dataclass
class LoadReport:
    tables: list[TableLoad] = field(default_factory=list)
    copy_seconds: float = 0.0
    index_seconds: float = 0.0
    total_seconds: float = 0.0

    def table(self, name: str) -> TableLoad:
        return next(t for t in self.tables if t.table == name)


def _qualified(name: str) -> sql.Composable:
    schema, table = name.split(".")
    return sql.Identifier(schema, table)


def missing_tables(conn: Connection, tables: Sequence[str]) -> list[str]:
    rows = conn.execute(
        "SELECT t FROM unnest(%s::text[]) t WHERE to_regclass(t) IS NULL", (list(tables),)
    )
    return [str(r[0]) for r in rows.fetchall()]


def row_counts(conn: Connection, tables: Sequence[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_qualified(table))).fetchone()
        counts[table] = int(str(row[0])) if row else 0
    return counts


def refusal(conn: Connection, tables: Sequence[str]) -> str | None:
    """Why seeding this database would destroy something it should not, or None."""
    row = conn.execute("SELECT current_database(), current_setting('vedb.environment', true)")
    database, environment = row.fetchone() or ("?", None)
    if environment == "production":
        return (
            f"database {database!r} is marked production "
            "(its setting vedb.environment is 'production')"
        )
    counts = row_counts(conn, tables)
    if not any(counts.values()):
        return None
    last = conn.execute("SELECT row_counts FROM ops.seed_runs ORDER BY id DESC LIMIT 1").fetchone()
    if last is None:
        table, rows = next((t, n) for t, n in counts.items() if n)
        return f"database {database!r} holds data the seeder did not make ({table} has {rows:,} rows, and no seed ran here)"  # noqa: E501
    seeded: dict[str, int] = last[0]  # type: ignore[assignment]
    for table, rows in counts.items():
        if rows != seeded.get(table, 0):
            return (
                f"database {database!r} holds data the seeder did not make ({table} has "
                f"{rows:,} rows; the last seed left {seeded.get(table, 0):,})"
            )
    return None


@dataclass(frozen=True)
class _Deferred:
    """Definitions dropped before the load, in the order to drop them."""

    foreign_keys: list[tuple[str, str, str]]  # table, name, definition
    keys: list[tuple[str, str, str]]  # primary keys and unique constraints
    indexes: list[tuple[str, str]]  # name, CREATE INDEX statement


def _defer_keys_and_indexes(conn: Connection, tables: Sequence[str]) -> _Deferred:
    constraints = conn.execute(
        """
        SELECT format('%%I.%%I', n.nspname, t.relname), c.conname, pg_get_constraintdef(c.oid),
               c.contype
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('p', 'u', 'f')
        ORDER BY 1, 2
        """,
        (list(tables),),
    ).fetchall()
    indexes = conn.execute(
        """
        SELECT format('%%I.%%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT FROM pg_constraint k
                          WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
        ORDER BY 1
        """,
        (list(tables),),
    ).fetchall()
    deferred = _Deferred(
        foreign_keys=[(str(t), str(n), str(d)) for t, n, d, kind in constraints if kind == "f"],
        keys=[(str(t), str(n), str(d)) for t, n, d, kind in constraints if kind != "f"],
        indexes=[(str(n), str(d)) for n, d in indexes],
    )
    for table, name, _ in deferred.foreign_keys + deferred.keys:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.SQL(table), sql.Identifier(name)
            )
        )
    for name, _ in deferred.indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
    return deferred


def _restore_statements(deferred: _Deferred) -> Iterator[tuple[str, sql.Composed | sql.SQL]]:
    # Keys first (foreign keys need the unique indexes they reference), foreign keys last.
    def add(table: str, name: str, definition: str) -> sql.Composed:
        return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
        )

    for table, name, definition in deferred.keys:
        yield name, add(table, name, definition)
    for name, definition in deferred.indexes:
        # A partitioned table's index reads "ON ONLY" in the catalog: built so, it would
        # cover no partition.
        yield name.split(".")[-1], sql.SQL(definition.replace(" ON ONLY ", " ON ", 1))
    for table, name, definition in deferred.foreign_keys:
        yield name, add(table, name, definition)


def _copy_table(
    conn: Connection,
    table: str,
    columns: list[pgcopy.Column],
    progress: LoadProgress,
    into: str | None = None,
    rows: npt.NDArray[np.intp] | None = None,
) -> TableLoad:
    """COPYs ``columns`` (only ``rows`` of them, if given) into ``into`` (default: ``table``);
    progress counts against ``table``."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT binary, FREEZE)").format(
        _qualified(into or table), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    count = len(columns[0].values) if rows is None else len(rows)
    sent = 0
    started = time.perf_counter()
    cursor = conn.cursor()
    # A worker thread sends each chunk while this one encodes the next.
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.write(pgcopy.HEADER)
        for low in range(0, count, CHUNK_ROWS):
            picked = None if rows is None else rows[low : low + CHUNK_ROWS]
            chunk = [_slice(c, low, low + CHUNK_ROWS, picked) for c in columns]
            data = pgcopy.encode(chunk)
            copy.write(data)
            sent += len(data)
            progress.advance(table, len(chunk[0].values))
        copy.write(pgcopy.TRAILER)
    return TableLoad(table, count, sent + len(pgcopy.HEADER), time.perf_counter() - started)


def _load_table(
    conn: Connection,
    table: str,
    columns: list[pgcopy.Column],
    progress: LoadProgress,
    in_time_order: list[str],
) -> TableLoad:
    """COPYs one table; a partitioned one month by month, appending to ``in_time_order``
    the months not written in student order (not ended yet)."""
    progress.start_table(table, len(columns[0].values))
    if not partitions.is_partitioned(conn, table):
        return _copy_table(conn, table, columns, progress)
    # Ended a day ago or more: as analytics.event_months_to_reorder() counts an ended month.
    settled = datetime.now(UTC) - timedelta(days=1)
    loads = []
    for month in partitions.months(conn, table, columns, ended_by=settled):
        loads.append(
            _copy_table(conn, table, columns, progress, into=month.partition, rows=month.rows)
        )
        if not month.by_student:
            in_time_order.append(month.partition)
    return TableLoad(
        table,
        sum(load.rows for load in loads),
        sum(load.bytes for load in loads),
        sum(load.seconds for load in loads),
    )


def _slice(
    column: pgcopy.Column, low: int, high: int, picked: npt.NDArray[np.intp] | None = None
) -> pgcopy.Column:
    if picked is None:
        values, null = (
            column.values[low:high],
            None if column.null is None else column.null[low:high],
        )
    else:
        values, null = column.values[picked], None if column.null is None else column.null[picked]
    return pgcopy.Column(column.name, column.kind, values, column.categories, null)


def load(conn: Connection, dataset: Dataset, progress: LoadProgress) -> LoadReport:
    """Replaces every seeded table's rows with the dataset's, atomically."""
    tables = list(dataset.tables)
    report = LoadReport()
    started = time.perf_counter()
    with conn.transaction():
        # The rollups' lock first, before any table lock: the API's folder takes it and then
        # reads these tables, so taking it after the TRUNCATE below deadlocked with a fold
        # that had begun in between (seen on a busy machine).
        conn.execute("SELECT analytics.lock_rollups()")
        # Generous memory for sorting index builds, within this transaction only.
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute("SET LOCAL work_mem = '256MB'")  # the joins that validate foreign keys
        # Folding millions of rows in through the rollup triggers is slow; the rollups are
        # rebuilt in full after the load instead, in this same transaction.
        _set_user_triggers(conn, tables, enabled=False)
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                sql.SQL(", ").join(_qualified(t) for t in tables)
            )
        )
        deferred = _defer_keys_and_indexes(conn, tables)
        in_time_order: list[str] = []  # months of the event log not written by student
        for table, columns in dataset.tables.items():
            report.tables.append(_load_table(conn, table, columns, progress, in_time_order))
        report.copy_seconds = time.perf_counter() - started
        _set_user_triggers(conn, tables, enabled=True)
        # The seed replaces every event: no month the retention dropped is missing any more.
        if conn.execute("SELECT to_regclass('analytics.event_retention')").fetchone() != (None,):
            conn.execute("DELETE FROM analytics.event_retention")
        steps = list(_restore_statements(deferred))
        steps.append(("rollups", sql.SQL("SELECT analytics.rebuild_rollups()")))
        progress.start_indexes(len(steps))
        for name, statement in steps:
            progress.index_step(name)
            conn.execute(statement)
        _sync_identities(conn, tables)
        partitions.mark_reordered(conn, in_time_order)
        for table in tables:
            conn.execute(sql.SQL("ANALYZE {}").format(_qualified(table)))
        report.index_seconds = time.perf_counter() - started - report.copy_seconds
        counts = {t: dataset.rows(t) for t in tables}
        conn.execute(
            "INSERT INTO ops.seed_runs (profile, seed, anchor, row_counts) VALUES (%s, %s, %s, %s)",
            (dataset.profile.name, dataset.seed, dataset.anchor, json.dumps(counts)),
        )
    report.total_seconds = time.perf_counter() - started
    return report


def _set_user_triggers(conn: Connection, tables: Sequence[str], *, enabled: bool) -> None:
    action = sql.SQL("ENABLE" if enabled else "DISABLE")
    for table in tables:
        conn.execute(sql.SQL("ALTER TABLE {} {} TRIGGER USER").format(_qualified(table), action))


def _sync_identities(conn: Connection, tables: Sequence[str]) -> None:
    """Identity sequences continue after the explicit ids the seed wrote."""
    with_identity = conn.execute(
        """
        SELECT t FROM unnest(%s::text[]) t
        WHERE EXISTS (SELECT FROM pg_attribute
                      WHERE attrelid = t::regclass AND attname = 'id' AND attidentity <> '')
        """,
        (list(tables),),
    ).fetchall()
    for (table,) in with_identity:
        assert isinstance(table, str)
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({}, 'id'), max(id)) FROM {} "
                "HAVING max(id) IS NOT NULL"
            ).format(sql.Literal(table), _qualified(table))
        )


def checksums(conn: Connection, tables: Sequence[str]) -> dict[str, str]:
    """An order-independent fingerprint of each table's rows."""
    result = {}
    for table in tables:
        row = conn.execute(
            sql.SQL(
                "SELECT md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) FROM {} t"
            ).format(_qualified(table))
        ).fetchone()
        result[table] = str(row[0]) if row else ""
    return result
