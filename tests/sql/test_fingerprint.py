"""The restore's fingerprint: every table's row count and an order-free checksum of its rows."""

from __future__ import annotations

import hashlib

import psycopg

from vedb.backup.fingerprint import fingerprint


def expected_checksum(rows: list[str]) -> str:
    """The same sum, computed here: the first 64 bits of each row's md5, as a signed bigint."""
    total = 0
    for text in rows:
        value = int(hashlib.md5(text.encode()).hexdigest()[:16], 16)  # noqa: S324 -- a checksum
        total += value - (1 << 64) if value >= 1 << 63 else value
    return str(total)


def test_counts_every_table_and_checksums_rows_in_any_order(migrated_db: str) -> None:
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        before = fingerprint(conn)
        conn.execute("CREATE TABLE public.fp_probe (id int, note text)")
        conn.execute("INSERT INTO public.fp_probe VALUES (2, 'b'), (1, 'a'), (3, NULL)")
        probed = fingerprint(conn)
        conn.execute("UPDATE public.fp_probe SET note = 'B' WHERE id = 2")
        changed = fingerprint(conn)
        conn.execute("DROP TABLE public.fp_probe")
    assert "learning.users" in before and "analytics.behavior_log" in before
    assert not any(name.startswith(("pg_", "information_schema")) for name in before)
    assert probed["public.fp_probe"].rows == 3
    assert probed["public.fp_probe"].checksum == expected_checksum(["(1,a)", "(2,b)", "(3,)"])
    assert changed["public.fp_probe"].checksum == expected_checksum(["(1,a)", "(2,B)", "(3,)"])
    assert {k: v for k, v in probed.items() if k != "public.fp_probe"} == before
