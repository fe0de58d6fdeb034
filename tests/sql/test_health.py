"""`vedb health`: each check provoked on a real database, flagged, and the JSON kept stable."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import migrated_database
from tests.seeds.test_seed_command import run_vedb
from vedb.dbhealth.checks import Finding, Thresholds
from vedb.dbhealth.report import CHECKS, Report, run_checks
from vedb.stack import Stack


@pytest.fixture
def db(stack: Stack) -> Iterator[str]:
    yield from migrated_database(stack)


def report(url: str, **thresholds: float) -> Report:
    with psycopg.connect(url, autocommit=True) as conn:
        return run_checks(conn, Thresholds(**thresholds))


def findings(result: Report, check: str) -> list[Finding]:
    return next(r.findings for r in result.results if r.name == check)


def provoke(url: str, *statements: str) -> None:
    # Its own connection, closed at once: closing flushes its statistics to the views.
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def test_a_fresh_database_has_no_warning(db: str) -> None:
    result = report(db)
    assert [r.name for r in result.results] == [c.name for c in CHECKS]
    assert result.status in ("ok", "info")


def test_index_advice_duplicate_unused_and_missing(db: str) -> None:
    provoke(
        db,
        "CREATE TABLE public.health_t (id bigint PRIMARY KEY, a int, b int)",
        "CREATE INDEX health_t_a ON public.health_t (a)",
        "CREATE INDEX health_t_a_b ON public.health_t (a, b)",
        "INSERT INTO public.health_t SELECT g, g % 100, g % 7 FROM generate_series(1, 20000) g",
        "ANALYZE public.health_t",
        *["SELECT count(*) FROM public.health_t WHERE b = 3"] * 5,  # no index on b
    )
    result = report(db)
    assert [(f.subject, f.detail) for f in findings(result, "duplicate_indexes")] == [
        ("public.health_t_a", "covered by public.health_t_a_b: drop it")
    ]
    unused = {f.subject for f in findings(result, "unused_indexes")}
    assert {"public.health_t_a", "public.health_t_a_b"} <= unused
    assert "public.health_t_pkey" not in unused  # a constraint's index is never "unused"
    missing = findings(result, "missing_indexes")
    # The five scans above, and the ones that built the indexes and analysed the table.
    assert [f.subject for f in missing] == ["public.health_t"] and (missing[0].value or 0) >= 5
    assert result.status == "warning"


def test_an_invalid_index_is_critical(db: str) -> None:
    provoke(
        db, "CREATE TABLE public.health_v (a int)", "INSERT INTO public.health_v VALUES (1), (1)"
    )
    with pytest.raises(psycopg.errors.UniqueViolation):  # leaves the index INVALID
        provoke(db, "CREATE UNIQUE INDEX CONCURRENTLY health_v_a ON public.health_v (a)")
    result = report(db)
    assert [(f.subject, f.severity) for f in findings(result, "invalid_indexes")] == [
        ("public.health_v_a", "critical")
    ]
    assert result.status == "critical"


def test_a_session_idle_in_a_transaction_is_flagged(db: str) -> None:
    with psycopg.connect(db) as idle:
        idle.execute("SELECT 1")  # opens the transaction, then sits idle in it
        pid = idle.info.backend_pid
        time.sleep(0.3)
        result = report(db, idle_in_transaction_s=0.1)
    flagged = [f for f in findings(result, "connections") if f.subject.startswith("pid ")]
    assert [f.subject.split()[1] for f in flagged] == [str(pid)]
    assert (
        flagged[0].severity in ("warning", "critical")
        and "idle in a transaction" in flagged[0].detail
    )


def test_a_sequence_near_its_max_warns_then_is_critical(db: str) -> None:
    provoke(
        db,
        "CREATE SEQUENCE public.health_seq MAXVALUE 1000",
        "SELECT setval('public.health_seq', 950)",
    )
    near = findings(report(db), "sequences")
    assert [(f.subject, f.severity, f.value) for f in near] == [
        ("public.health_seq", "warning", 0.9499)  # (950 - 1) / (1000 - 1)
    ]
    provoke(db, "SELECT setval('public.health_seq', 1000)")
    assert [f.severity for f in findings(report(db), "sequences")] == ["critical"]


def test_the_cli_prints_stable_json_and_exits_1_on_critical(db: str) -> None:
    clean = run_vedb("health", "--json", url=db)
    assert clean.returncode == 0, clean.stderr
    body = json.loads(clean.stdout)
    assert body["version"] == 1 and body["status"] in ("ok", "info")
    assert list(body["checks"]) == [c.name for c in CHECKS]
    assert set(body["checks"]["connections"]) == {"title", "status", "findings"}
    assert set(body["checks"]["connections"]["findings"][0]) == {
        "severity",
        "subject",
        "detail",
        "value",
    }
    provoke(
        db, "CREATE SEQUENCE public.full_seq MAXVALUE 10", "SELECT setval('public.full_seq', 10)"
    )
    critical = run_vedb("health", url=db)
    assert critical.returncode == 1
    assert "Sequences near exhaustion" in critical.stdout and "public.full_seq" in critical.stdout
