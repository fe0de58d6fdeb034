"""learning.users.points, the leaderboard's rollup, follows the ledger (migration 0024).

Awards, corrections, moved and deleted ledger rows move the totals in the writing statement;
a write that would take a total below zero is refused whole; `vedb refresh --full` corrects a
total that drifted while the triggers were off. After each step the leaderboard read from the
rollup equals the one summed from the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors
from psycopg.rows import dict_row

from tests.conftest import migrated_database
from tests.seeds.test_seed_command import run_vedb
from tests.sql.test_rollups import RAW, ROLLUP
from vedb.stack import Stack

NAMES = {1: "Ana", 2: "Binh", 3: "Chi", 4: "Tom"}


@pytest.fixture
def db(stack: Stack) -> Iterator[str]:
    for url in migrated_database(stack):
        with psycopg.connect(url) as conn:
            for uid, name in NAMES.items():
                conn.execute(
                    "INSERT INTO learning.users (id, email, display_name, role)"
                    " OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, %s)",
                    (
                        uid,
                        f"{name.lower()}@example.com",
                        name,
                        "TEACHER" if uid == 4 else "STUDENT",
                    ),
                )
        yield url


def points(conn: psycopg.Connection[Any]) -> dict[int, int]:
    return dict(conn.execute("SELECT id, points FROM learning.users ORDER BY id").fetchall())


def leaderboards(conn: psycopg.Connection[Any]) -> tuple[list[Any], list[Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        found = [cur.execute(c["leaderboard"].sql, {"limit": 10}).fetchall() for c in (ROLLUP, RAW)]
    return found[0], found[1]


def award(conn: psycopg.Connection[Any], *rows: tuple[int, int]) -> None:
    """One INSERT of every (user, delta) row."""
    conn.execute(
        "INSERT INTO gamification.point_ledger (user_id, delta, reason)"
        " SELECT u, d, 'ADJUSTMENT' FROM unnest(%s::bigint[], %s::bigint[]) AS r (u, d)",
        ([u for u, _ in rows], [d for _, d in rows]),
    )


def test_points_follow_every_ledger_write(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        award(conn, (1, 50), (1, 25), (2, 40), (4, 300), (3, 10), (3, -10))
        assert points(conn) == {1: 75, 2: 40, 3: 0, 4: 300}
        rollup, raw = leaderboards(conn)
        assert rollup == raw
        assert [(r["rank"], r["display_name"], r["points"]) for r in rollup] == [
            (1, "Ana", 75),
            (2, "Binh", 40),
            (3, "Chi", 0),
        ]

        # A correction that moves Ana's 25 to Chi, and doubles Binh's.
        conn.execute(
            "UPDATE gamification.point_ledger SET user_id = 3 WHERE user_id = 1 AND delta = 25"
        )
        conn.execute("UPDATE gamification.point_ledger SET delta = delta * 2 WHERE user_id = 2")
        assert points(conn) == {1: 50, 2: 80, 3: 25, 4: 300}
        conn.execute("DELETE FROM gamification.point_ledger WHERE user_id = 2")
        assert points(conn) == {1: 50, 2: 0, 3: 25, 4: 300}
        assert leaderboards(conn)[0] == leaderboards(conn)[1]

        # Below zero is refused, and the statement's other rows with it.
        with pytest.raises(errors.CheckViolation, match="users_points_check"):
            award(conn, (1, 5), (3, -26))
        assert points(conn) == {1: 50, 2: 0, 3: 25, 4: 300}
        assert conn.execute("SELECT count(*) FROM gamification.point_ledger").fetchone() == (5,)

        # Deleting a user takes their ledger rows along; the others keep theirs.
        conn.execute("DELETE FROM learning.users WHERE id = 3")
        assert points(conn) == {1: 50, 2: 0, 4: 300}


def test_refresh_full_corrects_points_that_drifted(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        award(conn, (1, 30), (2, 20))
        conn.execute("UPDATE learning.users SET points = 999 WHERE id = 2")  # by hand: drift
        conn.execute("ALTER TABLE gamification.point_ledger DISABLE TRIGGER ledger_inserted")
        award(conn, (1, 5))  # written while the trigger was off
        conn.execute("ALTER TABLE gamification.point_ledger ENABLE TRIGGER ledger_inserted")
        assert points(conn) == {1: 30, 2: 999, 3: 0, 4: 0}
        assert leaderboards(conn)[0] != leaderboards(conn)[1]

    done = run_vedb("refresh", "--full", url=db)
    assert done.returncode == 0, done.stderr
    assert "Corrected the points of 2 user(s) from the ledger." in done.stdout
    with psycopg.connect(db, autocommit=True) as conn:
        assert points(conn) == {1: 35, 2: 20, 3: 0, 4: 0}
        assert leaderboards(conn)[0] == leaderboards(conn)[1]
    again = run_vedb("refresh", "--full", url=db)
    assert again.returncode == 0 and "Corrected" not in again.stdout
