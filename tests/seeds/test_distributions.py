"""The seeded `load` profile has the shapes every analytics query needs something to find."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from tests.seeds.conftest import ANCHOR

LOCAL = "AT TIME ZONE 'Asia/Ho_Chi_Minh'"


def one(url: str, query: str, *params: object) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def test_activity_is_heavy_tailed(load_db: str) -> None:
    share = one(
        load_db,
        """
        WITH per AS (SELECT user_id, count(*) AS n FROM analytics.behavior_log GROUP BY 1),
             ranked AS (SELECT n, ntile(10) OVER (ORDER BY n DESC) AS decile FROM per)
        SELECT sum(n) FILTER (WHERE decile = 1)::numeric / sum(n) FROM ranked""",
    )
    assert isinstance(share, Decimal)
    assert share > Decimal("0.33")  # a uniform spread would give 0.10


def test_weekdays_are_busier_than_weekends(load_db: str) -> None:
    ratio = one(
        load_db,
        f"""
        WITH d AS (SELECT (occurred_at {LOCAL})::date AS day, count(*) AS n
                   FROM analytics.behavior_log GROUP BY 1)
        SELECT avg(n) FILTER (WHERE extract(isodow FROM day) < 6)
             / avg(n) FILTER (WHERE extract(isodow FROM day) >= 6) FROM d""",
    )
    assert isinstance(ratio, Decimal) and ratio > Decimal("1.4")


def test_evenings_are_busier_than_nights(load_db: str) -> None:
    ratio = one(
        load_db,
        f"""
        SELECT count(*) FILTER (WHERE h BETWEEN 19 AND 22)::numeric
             / count(*) FILTER (WHERE h BETWEEN 2 AND 5)
        FROM (SELECT extract(hour FROM occurred_at {LOCAL}) AS h FROM analytics.behavior_log) x""",
    )
    assert isinstance(ratio, Decimal) and ratio > 5


def test_retention_decays_week_by_week(load_db: str) -> None:
    with psycopg.connect(load_db) as conn:
        rows = conn.execute(
            """
            WITH cohort AS (SELECT id, created_at FROM learning.users
                            WHERE role = 'STUDENT' AND created_at >= %(a)s::date - 180
                              AND created_at < %(a)s::date - 70),
                 weeks AS (SELECT DISTINCT e.user_id,
                                  floor(extract(epoch FROM e.occurred_at - c.created_at) / 604800) AS w
                           FROM analytics.behavior_log e JOIN cohort c ON c.id = e.user_id)
            SELECT w, count(*)::numeric / (SELECT count(*) FROM cohort) FROM weeks
            WHERE w IN (1, 2, 4, 8) GROUP BY w ORDER BY w""",
            {"a": ANCHOR},
        ).fetchall()
    shares = [share for _, share in rows]
    assert [int(w) for w, _ in rows] == [1, 2, 4, 8]  # type: ignore[call-overload]
    assert shares == sorted(shares, reverse=True) and len(set(shares)) == 4
    assert shares[3] < shares[0] / 2


FUNNEL = """
    WITH per AS (
        SELECT x.user_id, c.level,
               (SELECT count(*) FROM learning.lessons l WHERE l.course_id = c.id) AS lessons,
               count(p.id) AS started,
               count(p.id) FILTER (WHERE p.status = 'COMPLETED') AS done
        FROM learning.enrollments x
        JOIN learning.courses c ON c.id = x.course_id
        LEFT JOIN learning.user_progress p ON p.user_id = x.user_id AND p.course_id = x.course_id
        GROUP BY x.user_id, c.id, c.level)
    SELECT level, count(*), count(*) FILTER (WHERE started > 0),
           count(*) FILTER (WHERE done * 2 >= lessons), count(*) FILTER (WHERE done = lessons)
    FROM per GROUP BY level"""


def test_funnel_drops_off_and_harder_levels_complete_less(load_db: str) -> None:
    with psycopg.connect(load_db) as conn:
        rows = {str(r[0]): [int(v) for v in r[1:]] for r in conn.execute(FUNNEL).fetchall()}  # type: ignore[call-overload]
    for level, (enrolled, started, halfway, completed) in rows.items():
        assert enrolled > started > halfway > completed > 0, level
    rate = {level: counts[3] / counts[0] for level, counts in rows.items()}
    assert rate["BEGINNER"] > rate["INTERMEDIATE"] > rate["ADVANCED"]


def test_a_real_population_is_at_risk(load_db: str) -> None:
    share = one(
        load_db,
        """
        WITH progress AS (
            SELECT x.user_id,
                   avg((SELECT count(*) FROM learning.user_progress p
                        WHERE p.user_id = x.user_id AND p.course_id = x.course_id
                          AND p.status = 'COMPLETED')::numeric
                       / (SELECT count(*) FROM learning.lessons l WHERE l.course_id = x.course_id))
                       AS pct
            FROM learning.enrollments x GROUP BY 1)
        SELECT avg((pct < 0.5 AND NOT EXISTS (
                    SELECT FROM analytics.behavior_log e
                    WHERE e.user_id = progress.user_id AND e.occurred_at >= %s::date - 14))::int)
        FROM progress""",
        ANCHOR,
    )
    assert isinstance(share, Decimal) and Decimal("0.2") < share < Decimal("0.9")


@pytest.mark.parametrize("measure", ["completed lessons", "active days"])
def test_gamified_learners_behave_differently(load_db: str, measure: str) -> None:
    per_user = {
        "completed lessons": "(SELECT count(*) FROM learning.user_progress p "
        "WHERE p.user_id = g.id AND p.status = 'COMPLETED')",
        "active days": "(SELECT count(DISTINCT occurred_at::date) FROM analytics.behavior_log e "
        "WHERE e.user_id = g.id)",
    }[measure]
    with psycopg.connect(load_db) as conn:
        rows = dict(
            conn.execute(f"""
            WITH g AS (SELECT u.id,
                              EXISTS (SELECT FROM gamification.user_achievements a WHERE a.user_id = u.id)
                              OR EXISTS (SELECT FROM gamification.streaks s
                                         WHERE s.user_id = u.id AND s.longest_days > 0) AS gamified
                       FROM learning.users u WHERE u.role = 'STUDENT')
            SELECT gamified, avg({per_user}) FROM g GROUP BY gamified""").fetchall()
        )  # type: ignore[arg-type]
    assert rows[True] > rows[False] * Decimal("1.3"), rows
