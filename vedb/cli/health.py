"""`vedb health`: PgHero's checks for this database, as a table or JSON; non-zero on critical."""

from __future__ import annotations

import json
from typing import Annotated

import psycopg
import typer
from rich.table import Table

from vedb.api.patroni import Member, members_now
from vedb.cli.app import app, database_url, fail, load_settings, out
from vedb.databases import redact
from vedb.dbhealth.checks import Thresholds
from vedb.dbhealth.report import Report, run_checks

STYLE = {"ok": "green", "info": "cyan", "warning": "yellow", "critical": "bold red"}


def health_table(report: Report) -> Table:
    table = Table(
        title=f"Database health: {report.database} (PostgreSQL {report.server_version})",
        caption=f"checked {report.checked_at:%Y-%m-%d %H:%M:%S} UTC; worst: {report.status}",
    )
    for header in ("check", "status", "subject", "finding"):
        table.add_column(header, overflow="fold")
    for result in report.results:
        findings = result.findings or []
        style = STYLE[result.status]
        if not findings:
            table.add_row(result.title, f"[{style}]{result.status}[/]", "", "nothing found")
        for i, finding in enumerate(findings):
            table.add_row(
                result.title if i == 0 else "",
                f"[{STYLE[finding.severity]}]{finding.severity}[/]",
                finding.subject,
                finding.detail,
            )
    return table


def members_table(members: list[Member]) -> Table:
    table = Table(title="Cluster members (Patroni)", caption="lag: bytes behind the leader")
    for header in ("member", "role", "state", "timeline", "lag"):
        table.add_column(header)
    for m in members:
        lag = "" if m.lag_bytes is None else f"{m.lag_bytes:,}"
        table.add_row(m.name, m.role, m.state, str(m.timeline or ""), lag)
    if not members:
        table.add_row("[bold red]no member answers[/]", "", "", "", "")
    return table


@app.command()
def health(
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable, stable fields.")
    ] = False,
    idle_in_transaction_s: Annotated[
        float, typer.Option(min=0, help="Flag sessions idle in a transaction this long.")
    ] = Thresholds.idle_in_transaction_s,
    long_query_s: Annotated[
        float, typer.Option(min=0, help="Flag queries active this long.")
    ] = Thresholds.long_query_s,
) -> None:
    """PgHero's checks for this database: cache hit rates, slow and long queries, connections,
    index advice, bloat, vacuum, wraparound, sequences, replicas. Exit 1 on a critical one."""
    settings = load_settings()
    url = database_url(settings)
    thresholds = Thresholds(idle_in_transaction_s=idle_in_transaction_s, long_query_s=long_query_s)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            report = run_checks(conn, thresholds)
    except psycopg.Error as exc:
        raise fail(f"database {redact(url)}: {str(exc).strip()}") from exc
    members = members_now(settings)  # a cluster's (VEDB_PATRONI_URL), else None
    if as_json:
        document = report.to_json()
        if members is not None:
            document["cluster"] = [m.model_dump() for m in members]
        print(json.dumps(document, indent=2, default=str))
    else:
        out.print(health_table(report))
        if members is not None:
            out.print(members_table(members))
    if report.status == "critical":
        raise typer.Exit(1)
