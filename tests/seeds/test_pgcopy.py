"""Binary COPY encoding round-trips through a real PostgreSQL, value for value."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import psycopg

from vedb.seed import pgcopy

NUMERICS = ["0", "0.00", "1", "9.99", "100.00", "-12.5", "10000", "12345.6789", "0.0001", "40.50"]


def test_every_kind_round_trips(fresh_db: str) -> None:
    moments = [
        datetime(2026, 11, 21, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 0, tzinfo=UTC),
    ]
    uuids = [uuid.UUID(int=0), uuid.uuid4(), uuid.UUID("ffffffff-0000-4000-8000-00000000ff00")]
    texts = ["a", "", "ünïcode ✓"]
    payloads = ['{"score": 100}', "{}", '{"a": [1, 2]}']
    columns = [
        pgcopy.Column("i", "int8", np.array([1, -(2**62), 2**63 - 1])),
        pgcopy.Column("b", "bool", np.array([True, False, True])),
        pgcopy.Column("t", "timestamptz", pgcopy.timestamps(moments)),
        pgcopy.Column("d", "date", np.array([0, -1, 9821], np.int64)),
        pgcopy.Column(
            "u", "uuid", np.frombuffer(b"".join(u.bytes for u in uuids), np.uint8).reshape(3, 16)
        ),
        pgcopy.Column("s", "bytes", np.array([0, 1, 2]), [pgcopy.text(t) for t in texts]),
        pgcopy.Column(
            "j",
            "bytes",
            np.array([2, 0, 1]),
            [pgcopy.jsonb(p) for p in payloads],
            null=np.array([False, True, False]),
        ),
        pgcopy.Column("n", "bytes", np.array([0, 1, 2]), [pgcopy.numeric(v) for v in NUMERICS[:3]]),
    ]
    with psycopg.connect(fresh_db) as conn:
        conn.execute(
            "CREATE TABLE t (i bigint, b boolean, t timestamptz, d date, u uuid, s text,"
            " j jsonb, n numeric)"
        )
        with conn.cursor().copy("COPY t FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(pgcopy.HEADER + pgcopy.encode(columns) + pgcopy.TRAILER)
        rows = conn.execute("SELECT i, b, t, d, u, s, j::text, n FROM t ORDER BY i").fetchall()
    expected = [
        (
            -(2**62),
            False,
            moments[1],
            date(1999, 12, 31),
            uuids[1],
            texts[1],
            None,
            Decimal("0.00"),
        ),
        (1, True, moments[0], date(2000, 1, 1), uuids[0], texts[0], '{"a": [1, 2]}', Decimal("0")),
        (2**63 - 1, True, moments[2], date(2026, 11, 21), uuids[2], texts[2], "{}", Decimal("1")),
    ]
    assert rows == expected
    assert str(rows[0][7]) == "0.00"  # the scale survives, not just the value


def test_numeric_encoding_matches_postgres(fresh_db: str) -> None:
    column = pgcopy.Column(
        "n", "bytes", np.arange(len(NUMERICS)), [pgcopy.numeric(v) for v in NUMERICS]
    )
    ids = pgcopy.Column("i", "int8", np.arange(len(NUMERICS)))
    with psycopg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE n (i bigint, n numeric)")
        with conn.cursor().copy("COPY n FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(pgcopy.HEADER + pgcopy.encode([ids, column]) + pgcopy.TRAILER)
        got = [r[0] for r in conn.execute("SELECT n::text FROM n ORDER BY i").fetchall()]
    assert got == NUMERICS


def test_many_layouts_keep_every_row(fresh_db: str) -> None:
    rng = np.random.default_rng(7)
    n = 5000
    words = [("x" * k) for k in range(1, 40)]
    codes = rng.integers(0, len(words), n)
    nulls = rng.random(n) < 0.3
    columns = [
        pgcopy.Column("i", "int8", np.arange(n)),
        pgcopy.Column("w", "bytes", codes, [pgcopy.text(w) for w in words]),
        pgcopy.Column("k", "int8", codes * 7, null=nulls),
    ]
    with psycopg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE m (i bigint, w text, k bigint)")
        with conn.cursor().copy("COPY m FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(pgcopy.HEADER + pgcopy.encode(columns) + pgcopy.TRAILER)
        rows = conn.execute("SELECT i, w, k FROM m ORDER BY i").fetchall()
    assert rows == [
        (i, words[c], None if null else int(c) * 7)
        for i, (c, null) in enumerate(zip(codes, nulls, strict=True))
    ]
