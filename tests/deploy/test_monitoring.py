"""The monitor on the deployed host: exporters on loopback, every target scraped, the UIs behind
an admin token, and an alert end to end: WAL archiving broken, the alert firing in
Alertmanager's API and at the webhook, then mended and resolved."""

from __future__ import annotations

import base64
import json
import shlex
import threading
import time
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import quote

import pytest

from tests.deploy.conftest import WEBHOOK_PORT, Deployment, DeployRun
from tests.deploy.test_deploy import fetch
from tests.deploy.testhost import GATEWAY, Guest

SCRAPE_S = 5  # the test host's scrape_interval (conftest.py)
ARCHIVING_FOR_S = 120  # WalArchivingFailing's for: in monitoring/alerts.yml
JOBS = {"prometheus", "alertmanager", "node", "postgres", "redis", "api"}
EXPORTER_PORTS = (9100, 9187, 9121, 9090, 9093)


def prometheus(host: Guest, path: str) -> Any:
    url = shlex.quote(f"http://127.0.0.1:9090/prometheus/api/v1/{path}")
    return json.loads(host.ssh(f"curl -fsS --max-time 10 {url}"))["data"]


def query(host: Guest, promql: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = prometheus(host, f"query?query={quote(promql)}")["result"]
    return result


def alertmanager_alerts(host: Guest, name: str) -> list[dict[str, Any]]:
    url = shlex.quote(
        f"http://127.0.0.1:9093/alertmanager/api/v2/alerts?filter=alertname%3D%22{name}%22"
    )
    alerts: list[dict[str, Any]] = json.loads(host.ssh(f"curl -fsS --max-time 10 -g {url}"))
    return [a for a in alerts if a["status"]["state"] == "active"]


def psql(host: Guest, statement: str) -> str:
    command = f"cd / && runuser -u postgres -- psql -XAtq -d vedb -c {shlex.quote(statement)}"
    return host.ssh(command)


class Receiver(BaseHTTPRequestHandler):
    """Alertmanager's webhook: keeps each notification's (status, alert names)."""

    received: ClassVar[list[tuple[str, list[str]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        names = [a["labels"]["alertname"] for a in body["alerts"]]
        self.received.append((body["status"], names))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[list[tuple[str, list[str]]]]:
    Receiver.received.clear()
    server = ThreadingHTTPServer((GATEWAY, WEBHOOK_PORT), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver.received
    finally:
        server.shutdown()
        server.server_close()


def until(what: str, check: Any, timeout_s: float, every_s: float = 2) -> float:
    """Seconds until ``check()`` is true; fails naming ``what`` after ``timeout_s``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout_s, f"{what}: not within {timeout_s:.0f} s"
        time.sleep(every_s)
    return time.monotonic() - started


def test_exporters_prometheus_and_alertmanager_listen_on_loopback_only(
    first_run: DeployRun, deployment: Deployment
) -> None:
    listening = deployment.host.ssh("ss -Hltn")
    for port in EXPORTER_PORTS:
        sockets = [line.split()[3] for line in listening.splitlines() if f":{port} " in line]
        assert sockets == [f"127.0.0.1:{port}"], (port, listening)
    assert ":9094 " not in listening  # no Alertmanager cluster port


def test_prometheus_scrapes_every_target_and_nothing_fires(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host

    def all_up() -> bool:
        targets = prometheus(host, "targets")["activeTargets"]
        return {t["labels"]["job"] for t in targets if t["health"] == "up"} == JOBS

    seconds = until("every job's target up", all_up, 120)
    print(f"\nevery scrape target up {seconds:.0f} s into the test")
    assert query(host, "pg_up")[0]["value"][1] == "1"
    assert query(host, "redis_up")[0]["value"][1] == "1"
    assert query(host, "vedb_archiver_failing")[0]["value"][1] == "0"
    assert query(host, "vedb_rollup_backlog_queued_events"), "the backlog query returns nothing"

    # The first full backup (at deploy), read from pgBackRest by the backup-age timer.
    def backup_read() -> bool:
        return bool(query(host, "vedb_backup_last_completed_timestamp_seconds > 0"))

    until("the backups' age in Prometheus", backup_read, 60)
    firing = query(host, 'ALERTS{alertstate="firing"}')
    assert firing == [], firing


def test_the_monitor_uis_answer_an_admin_token_only(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host, tokens = deployment.host, deployment.secrets.api_tokens
    admin = next(t for t, scopes in tokens.items() if "admin" in scopes)
    for path in ("/prometheus/graph", "/alertmanager/"):
        with pytest.raises(urllib.error.HTTPError) as anonymous:
            fetch(host, path)
        assert anonymous.value.code == 401
        assert anonymous.value.headers["WWW-Authenticate"].startswith("Basic realm=")
        wrong = base64.b64encode(b"admin:not-a-token-at-all-0000000000").decode()
        with pytest.raises(urllib.error.HTTPError, match="401"):
            fetch(host, path, Authorization=f"Basic {wrong}")
        basic = base64.b64encode(f"admin:{admin}".encode()).decode()
        status, body, headers = fetch(host, path, Authorization=f"Basic {basic}")
        assert status == 200, path
        assert b"Prometheus" in body or b"Alertmanager" in body
        assert headers["Cache-Control"] == "no-store"
    # The API's own metrics stay off the public proxy.
    with pytest.raises(urllib.error.HTTPError, match="404"):
        fetch(host, "/metrics")


def test_an_operator_can_silence_an_alert_with_amtool(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    silence = host.ssh(
        "amtool silence add alertname=DiskAlmostFull --duration=5m --author=test "
        "--comment='deploy test'"
    ).strip()
    assert silence in host.ssh("amtool silence query --quiet")
    host.ssh(f"amtool silence expire {shlex.quote(silence)}")
    assert silence not in host.ssh("amtool silence query --quiet")


def test_broken_wal_archiving_fires_its_alert_and_mending_resolves_it(
    first_run: DeployRun, deployment: Deployment, webhook: list[tuple[str, list[str]]]
) -> None:
    host, name = deployment.host, "WalArchivingFailing"
    assert alertmanager_alerts(host, name) == []
    psql(host, "ALTER SYSTEM SET archive_command = '/bin/false'")
    psql(host, "SELECT pg_reload_conf()")
    try:
        psql(host, "CREATE TABLE IF NOT EXISTS public.wal_probe AS SELECT 1 AS x")
        psql(host, "SELECT pg_switch_wal()")
        bound = ARCHIVING_FOR_S + 2 * SCRAPE_S
        firing = until(f"{name} firing", lambda: bool(alertmanager_alerts(host, name)), bound + 60)
        print(
            f"\n{name} firing in Alertmanager {firing:.0f} s after the break "
            f"(bound: for {ARCHIVING_FOR_S} s + 2 scrape intervals = {bound} s)"
        )
        assert firing <= bound + 5  # + the time of one poll and one SSH round trip
        until("the firing notification at the webhook", lambda: ("firing", [name]) in webhook, 30)
    finally:
        psql(host, "ALTER SYSTEM RESET archive_command")
        psql(host, "SELECT pg_reload_conf()")  # also wakes the archiver
        psql(host, "DROP TABLE IF EXISTS public.wal_probe")
    resolved = until(f"{name} resolved", lambda: not alertmanager_alerts(host, name), 180)
    print(f"{name} resolved {resolved:.0f} s after archiving was mended")
    until("the resolved notification at the webhook", lambda: ("resolved", [name]) in webhook, 120)
    assert query(host, "vedb_archiver_failing")[0]["value"][1] == "0"
