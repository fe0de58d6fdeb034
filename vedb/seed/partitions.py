"""Seeding the partitioned event log (migration 0031): one COPY per month's partition.

COPY FREEZE, which spares a freshly loaded table its later hint-bit writes and freezing
vacuum, is refused on a partitioned table but allowed on a partition truncated or made in
the same transaction. So the rows are grouped by their UTC month, the months' partitions are
made first (analytics.create_event_partitions), and each group is copied into its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql

from vedb.seed import pgcopy

Connection = psycopg.Connection[tuple[object, ...]]
# pgcopy's timestamptz: microseconds since 2000-01-01 UTC.
_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


@dataclass(frozen=True)
class Month:
    partition: str  # schema-qualified
    rows: npt.NDArray[np.intp]  # the rows of the dataset's columns that fall in this month
    by_student: bool = False  # rows ordered as 0034's reorder leaves an ended month


def is_partitioned(conn: Connection, table: str) -> bool:
    row = conn.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", (table,))
    found = row.fetchone()
    return bool(found and found[0])


def months(
    conn: Connection,
    table: str,
    columns: list[pgcopy.Column],
    ended_by: datetime | None = None,
) -> list[Month]:
    """Makes the partitions the rows need, and says which rows go to which, in time order.
    A month that ends by ``ended_by`` comes ordered by student, then newest first: the order
    `vedb refresh` gives an ended month (migration 0034's CLUSTER on (user_id, occurred_at
    DESC)), so a fresh seed needs no reordering and one student's events share a few pages."""
    at = next(c for c in columns if c.name == "occurred_at")
    stamps = _EPOCH + at.values.astype(np.int64).astype("timedelta64[us]")
    month_of = stamps.astype("datetime64[M]")
    order = np.argsort(month_of, kind="stable")
    found, starts = np.unique(month_of[order], return_index=True)
    if len(found) == 0:
        return []
    conn.execute(
        "SELECT analytics.create_event_partitions(%s::timestamptz, %s::timestamptz)",
        (f"{found[0]}-01T00:00:00Z", f"{found[-1]}-01T00:00:00Z"),
    )
    schema, name = table.split(".")
    groups = []
    for month, start, end in zip(found, starts, [*starts[1:], len(order)], strict=True):
        year, number = str(month).split("-")
        partition = f"{schema}.{name}_y{year}m{number}"
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (partition,)).fetchone()
        if not (row and row[0]):
            raise RuntimeError(f"{table} has no partition {partition} for {month}")
        rows = np.sort(order[start:end])
        month_end = (month + np.timedelta64(1, "M")).astype("datetime64[us]")
        if ended_by is not None and month_end <= np.datetime64(_naive_utc(ended_by), "us"):
            user = next(c for c in columns if c.name == "user_id").values[rows]
            # lexsort's last key sorts first: by student, then newest first.
            rows = rows[np.lexsort((-at.values[rows].astype(np.int64), user))]
            groups.append(Month(partition, rows, by_student=True))
        else:
            groups.append(Month(partition, rows))
    return groups


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def mark_reordered(conn: Connection, in_time_order: list[str]) -> int:
    """After a seed, marks the ended months as reordered (the flag 0034's CLUSTER sets,
    which analytics.event_months_to_reorder() reads), once their indexes exist: the seed
    replaced every event, so each ended month holds its rows by student or none, except the
    ``in_time_order`` ones (written before they ended). Returns how many it marked."""
    if conn.execute(
        "SELECT to_regprocedure('analytics.event_months_to_reorder(interval)')"
    ).fetchone() == (None,):
        return 0  # before migration 0034: nothing reorders months
    marked = 0
    for partition, index in conn.execute(
        "SELECT month_partition::text, student_index FROM analytics.event_months_to_reorder()"
    ).fetchall():
        if partition not in in_time_order:
            conn.execute(
                sql.SQL("ALTER TABLE {} CLUSTER ON {}").format(
                    sql.Identifier(*str(partition).split(".")), sql.Identifier(str(index))
                )
            )
            marked += 1
    return marked
