"""Encodes numpy columns into PostgreSQL's binary COPY format, fast.

Binary COPY spares the server from parsing text, which is most of the cost of loading
timestamps, uuids and jsonb. Rows are grouped by their layout (which fields are NULL and how
long each variable field is); within a group every row has the same byte layout, so one numpy
structured array encodes the whole group with a few vectorised assignments. COPY does not care
about row order, and the ids are explicit, so groups are written one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt
from psycopg.types.numeric import DecimalBinaryDumper

from seeds.clock import to_micros

_NUMERIC = DecimalBinaryDumper(Decimal)
HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)


Kind = Literal["int8", "bool", "timestamptz", "date", "uuid", "bytes"]
_FIXED: dict[str, tuple[str, tuple[int, ...]]] = {
    "int8": (">i8", ()),
    "timestamptz": (">i8", ()),  # microseconds since 2000-01-01 UTC
    "date": (">i4", ()),  # days since 2000-01-01
    "bool": ("u1", ()),
    "uuid": ("u1", (16,)),
}
_WIDTH = {"int8": 8, "timestamptz": 8, "date": 4, "bool": 1, "uuid": 16}


@dataclass(frozen=True)
class Column:
    """One column's values. ``bytes`` columns hold codes into ``categories``, which are the
    values already in binary wire format (see :func:`text`, :func:`jsonb`, :func:`numeric`)."""

    name: str
    kind: Kind
    values: npt.NDArray[np.generic]
    categories: Sequence[bytes] = ()
    null: npt.NDArray[np.bool_] | None = None

    def lengths(self) -> npt.NDArray[np.int64]:
        if self.kind == "bytes":
            sizes = np.fromiter((len(c) for c in self.categories), np.int64, len(self.categories))
            lengths = sizes[self.values]
        else:
            lengths = np.full(len(self.values), _WIDTH[self.kind], np.int64)
        if self.null is not None:
            lengths = np.where(self.null, -1, lengths)
        return np.asarray(lengths, np.int64)


def text(value: str) -> bytes:
    return value.encode()


def jsonb(value: str) -> bytes:
    return b"\x01" + value.encode()  # jsonb's binary format: version 1, then the JSON text


def numeric(value: Decimal | int | str) -> bytes:
    """A numeric in binary, as psycopg's own dumper writes it (only categories are encoded
    this way, a few values each, so its speed never matters)."""
    dumped = _NUMERIC.dump(Decimal(value))
    assert dumped is not None  # None is how dumpers write NULL; a Decimal is never NULL
    return bytes(dumped)


def timestamps(values: Sequence[datetime]) -> npt.NDArray[np.int64]:
    return np.array([to_micros(v) for v in values], np.int64)


def encode(columns: Sequence[Column]) -> bytes:
    """The rows of ``columns`` as binary COPY data, without header or trailer."""
    n = len(columns[0].values)
    if n == 0:
        return b""
    lengths = [column.lengths() for column in columns]
    tables = {j: _category_table(c) for j, c in enumerate(columns) if c.kind == "bytes"}
    layout = _layout_keys(lengths)
    order = np.argsort(layout, kind="stable")
    boundaries = np.flatnonzero(np.diff(layout[order])) + 1
    parts = []
    for rows in np.split(order, boundaries):
        first = rows[0]
        group_lengths = [int(lens[first]) for lens in lengths]
        parts.append(_encode_group(columns, tables, rows, group_lengths))
    return b"".join(parts)


def _layout_keys(lengths: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    # Mixed radix over (length + 1), so NULL (-1) and every length get distinct digits.
    key = np.zeros(len(lengths[0]), np.int64)
    for lens in lengths:
        radix = int(lens.max()) + 2
        key = key * radix + (lens + 1)
    return key


def _encode_group(
    columns: Sequence[Column],
    tables: dict[int, npt.NDArray[np.uint8]],
    rows: npt.NDArray[np.intp],
    lengths: list[int],
) -> bytes:
    fields: list[tuple[str, str] | tuple[str, str, tuple[int, ...]]] = [("n", ">i2")]
    for j, (column, length) in enumerate(zip(columns, lengths, strict=True)):
        fields.append((f"l{j}", ">i4"))
        if length < 0:
            continue
        if column.kind == "bytes":
            fields.append((f"v{j}", "u1", (length,)))
        else:
            fields.append((f"v{j}", *_FIXED[column.kind]))
    out = np.empty(len(rows), dtype=np.dtype(fields))
    out["n"] = len(columns)
    for j, (column, length) in enumerate(zip(columns, lengths, strict=True)):
        out[f"l{j}"] = length
        if length < 0:
            continue
        if column.kind == "bytes":
            out[f"v{j}"] = tables[j][column.values[rows], :length]
        else:
            out[f"v{j}"] = column.values[rows]
    return out.tobytes()


def _category_table(column: Column) -> npt.NDArray[np.uint8]:
    """Each category's bytes as a zero-padded row of a (categories x longest) table."""
    width = max((len(c) for c in column.categories), default=0) or 1
    padded = np.array(list(column.categories), dtype=f"S{width}")
    return padded.view(np.uint8).reshape(len(column.categories), width)
