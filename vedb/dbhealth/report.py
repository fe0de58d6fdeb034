"""Runs every check and shapes the findings: a report with a stable JSON form, and its worst
severity. One check failing to run (a view this role may not read) is itself a finding."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from vedb.dbhealth import storage
from vedb.dbhealth.checks import (
    SEVERITIES,
    Check,
    Connection,
    Finding,
    Severity,
    Thresholds,
    cache_hit_rate,
    connections,
    long_running_queries,
    replication_lag,
    slow_queries,
    wal_archiving,
    xid_wraparound,
)

CHECKS = (
    Check("cache_hit_rate", "Cache hit rate", cache_hit_rate),
    Check("slow_queries", "Slow queries (pg_stat_statements)", slow_queries),
    Check("long_running_queries", "Long-running queries", long_running_queries),
    Check("connections", "Connections and idle transactions", connections),
    Check("invalid_indexes", "Invalid indexes", storage.invalid_indexes),
    Check("duplicate_indexes", "Duplicate indexes", storage.duplicate_indexes),
    Check("unused_indexes", "Unused indexes", storage.unused_indexes),
    Check("missing_indexes", "Tables read by sequential scans", storage.missing_indexes),
    Check("bloat", "Dead rows (bloat estimate)", storage.bloat),
    Check(
        "vacuum_analyze_staleness", "Vacuum and analyze staleness", storage.vacuum_analyze_staleness
    ),
    Check("xid_wraparound", "Transaction-ID wraparound headroom", xid_wraparound),
    Check("sequences", "Sequences near exhaustion", storage.sequences),
    Check("replication_lag", "Replication lag", replication_lag),
    Check("wal_archiving", "WAL archiving (backups)", wal_archiving),
)
JSON_VERSION = 1  # bumped if a field is removed or changes meaning


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    status: Severity
    findings: list[Finding]


@dataclass(frozen=True)
class Report:
    database: str
    server_version: str
    checked_at: datetime
    results: list[CheckResult]

    @property
    def status(self) -> Severity:
        return worst(r.status for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """Every check is always present, in the same order, so a script can index it."""
        return {
            "version": JSON_VERSION,
            "database": self.database,
            "server_version": self.server_version,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "status": self.status,
            "checks": {
                r.name: {
                    "title": r.title,
                    "status": r.status,
                    "findings": [
                        {k: v for k, v in asdict(f).items() if k != "check"} for f in r.findings
                    ],
                }
                for r in self.results
            },
        }


def worst(severities: Any) -> Severity:
    return max(severities, key=SEVERITIES.index, default="ok")


def run_checks(conn: Connection, thresholds: Thresholds | None = None) -> Report:
    thresholds = thresholds or Thresholds()
    results = []
    for check in CHECKS:
        try:
            with conn.transaction():
                findings = check.run(conn, thresholds)
        except psycopg.Error as exc:
            findings = [
                Finding(check.name, "warning", "database", f"could not run: {str(exc).strip()}")
            ]
        status = worst(f.severity for f in findings)
        results.append(CheckResult(check.name, check.title, status, findings))
    row = conn.execute("SELECT current_database(), current_setting('server_version')").fetchone()
    database, version = row if row else ("?", "?")
    return Report(database, version, datetime.now(UTC), results)
