"""Seeding the partitioned event log (migration 0031): one COPY per month's partition.

COPY FREEZE, which spares a freshly loaded table its later hint-bit writes and freezing
vacuum, is refused on a partitioned table but allowed on a partition truncated or made in
the same transaction. So the rows are grouped by their UTC month, the months' partitions are
made first (analytics.create_event_partitions), and each group is copied into its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import psycopg

from vedb.seed import pgcopy

Connection = psycopg.Connection[tuple[object, ...]]
# pgcopy's timestamptz: microseconds since 2000-01-01 UTC.
_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


@dataclass(frozen=True)
class Month:
    partition: str  # schema-qualified
    rows: npt.NDArray[np.intp]  # the rows of the dataset's columns that fall in this month


def is_partitioned(conn: Connection, table: str) -> bool:
    row = conn.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", (table,))
    found = row.fetchone()
    return bool(found and found[0])


def months(conn: Connection, table: str, columns: list[pgcopy.Column]) -> list[Month]:
    """Makes the partitions the rows need, and says which rows go to which."""
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
        groups.append(Month(partition, np.sort(order[start:end])))
    return groups
