"""`vedb health`'s WAL-archiving check on a server of its own: off, failing, then working."""

from __future__ import annotations

import time

import psycopg

from tests.conftest import needs_local_postgres
from vedb.dbhealth.checks import Finding, Thresholds, wal_archiving
from vedb.stack.local import start_local_postgres, stop_local


def archiving_once(url: str, until: str, timeout_s: float = 30) -> Finding:
    """The check's finding once its severity is ``until`` (the archiver works in the
    background), or the last one after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            finding = wal_archiving(conn, Thresholds())[0]
            if finding.severity == until or time.monotonic() > deadline:
                return finding
            time.sleep(0.3)


@needs_local_postgres
def test_a_failing_archive_command_is_critical_until_it_works() -> None:
    server = start_local_postgres()
    try:
        assert archiving_once(server.url, "info").detail.startswith("archive_mode is off")
    finally:
        stop_local(server)
    archiving = {"wal_level": "replica", "archive_mode": "on"}
    server = start_local_postgres(extra_options=archiving)
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET archive_command = 'false'")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("CREATE TABLE wal_probe AS SELECT 1 AS x")
            conn.execute("SELECT pg_switch_wal()")
        failing = archiving_once(server.url, "critical")
        assert failing.severity == "critical", failing
        assert "fails" in failing.detail and "pg_wal grows" in failing.detail
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET archive_command = 'true'")
            conn.execute("SELECT pg_reload_conf()")  # also wakes the archiver
        working = archiving_once(server.url, "ok")
        assert working.severity == "ok" and "segments archived" in working.detail, working
    finally:
        stop_local(server)
