"""The deploy's derived host values, its rendered templates, and the health wait."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.unit.test_provision import STRONG
from vedb.pgconf import render_postgresql_conf
from vedb.provision.hostdata import (
    database_url,
    postgres_major,
    redis_maxmemory_mb,
    redis_url,
    secrets_path,
)
from vedb.provision.operations import identifier
from vedb.provision.wait_healthy import main as wait_main
from vedb.provision.wait_healthy import wait_healthy
from vedb.settings import REPO_ROOT, Settings
from vedb.templates import render


def test_identifiers_are_plain() -> None:
    assert identifier("vedb_api") == '"vedb_api"'
    for bad in ("Vedb", "a-b", "x'; DROP ROLE postgres; --", "", "1abc"):
        with pytest.raises(ValueError, match="plain lowercase SQL identifier"):
            identifier(bad)


# --- derived host values -------------------------------------------------------------------------


def test_postgres_major_per_distribution() -> None:
    assert postgres_major("Debian", 12, None) == 15
    assert postgres_major("Ubuntu", 24, None) == 16
    assert postgres_major("Debian", 12, 17) == 17
    with pytest.raises(ValueError, match="no known PostgreSQL for Fedora 40: set postgres_major"):
        postgres_major("Fedora", 40, None)


def test_redis_memory_and_urls() -> None:
    assert redis_maxmemory_mb(24105, 0.10) == 2410
    assert redis_maxmemory_mb(100, 0.01) == 16  # a floor, so a tiny host still caches
    with pytest.raises(ValueError, match=r"redis_maxmemory_fraction 1\.5"):
        redis_maxmemory_mb(1024, 1.5)
    assert database_url("vedb_api", "p@ss/w:rd", "10.0.0.5", 5432, "vedb") == (
        "postgresql://vedb_api:p%40ss%2Fw%3Ard@10.0.0.5:5432/vedb"  # pragma: allowlist secret
    )
    assert redis_url("a#b", "127.0.0.1", 6379) == "redis://:a%23b@127.0.0.1:6379/0"


def test_secrets_path_prefers_the_environment() -> None:
    assert secrets_path("secrets/staging.toml", {}) == REPO_ROOT / "secrets/staging.toml"
    assert secrets_path("x.toml", {"VEDB_SECRETS_FILE": "/etc/s.toml"}) == Path("/etc/s.toml")
    assert secrets_path(None, {}) is None


# --- templates ---------------------------------------------------------------------------------


LOCAL = ("127.0.0.1/32", "::1/128", "all")


def test_pg_hba_is_scram_only_tls_only_remotely_and_never_postgres_remotely() -> None:
    text = render(
        "pg_hba.conf.j2",
        host="db1",
        database="vedb",
        allowed_networks=["10.0.0.0/24", "192.168.1.0/24"],
    )
    rules = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    assert {rule[-1] for rule in rules} == {"peer", "scram-sha-256", "reject"}
    # Peer on the socket only: the deploy's postgres, and the exporter's login on vedb alone.
    assert [r for r in rules if r[-1] == "peer"] == [
        ["local", "all", "postgres", "peer"],
        ["local", "vedb", "prometheus", "peer"],
    ]
    # First match wins: postgres is refused from any address before a network line can match.
    reject = rules.index(["host", "all", "postgres", "all", "reject"])
    remote = [r for r in rules if r[0].startswith("host") and r[3] not in LOCAL]
    assert remote == [
        ["hostssl", "vedb", "all", "10.0.0.0/24", "scram-sha-256"],
        ["hostssl", "vedb", "all", "192.168.1.0/24", "scram-sha-256"],
    ]
    assert all(rules.index(r) > reject for r in remote)
    assert len(rules) == 8


def test_redis_conf_is_a_protected_bounded_cache() -> None:
    text = render(
        "redis.conf.j2",
        host="c1",
        bind=["127.0.0.1", "-::1"],
        port=6379,
        password=STRONG,
        memory_mb=4096,
        maxmemory_fraction=0.25,
        maxmemory_mb=1024,
    )
    lines = set(text.splitlines())
    assert {
        "bind 127.0.0.1 -::1",
        "protected-mode yes",
        f"requirepass {STRONG}",
        "maxmemory 1024mb",
        "maxmemory-policy allkeys-lru",
        'save ""',
        "appendonly no",
    } <= lines


def test_api_unit_runs_unprivileged_from_a_root_only_env_file() -> None:
    text = render(
        "vedb-api.service.j2",
        user="vedb",
        env_file="/etc/vedb/api.env",
        root="/opt/vedb",
        bind="0.0.0.0",  # noqa: S104
        port=8000,
        workers=2,
    )
    assert "User=vedb\n" in text and "EnvironmentFile=/etc/vedb/api.env\n" in text
    assert (
        "uvicorn vedb.api.app:create_app --factory --host 0.0.0.0 --port 8000 --workers 2" in text
    )
    assert "NoNewPrivileges=true" in text
    assert "RemoveIPC=true\n" in text


def test_api_env_sets_event_retention_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {
        "root": "/opt/vedb",
        "pool_max_size": 10,
        "database_url": "postgresql://a@b/c",
        "redis_url": "redis://r",
        "api_tokens_json": "{}",
    }
    assert "RETENTION" not in render("vedb-api.env.j2", **base, events_retention_months=None)
    text = render("vedb-api.env.j2", **base, events_retention_months=6)
    assert "\nVEDB_EVENTS_RETENTION_MONTHS=6\n" in text
    # The API and `vedb refresh` read it so.
    monkeypatch.setenv("VEDB_EVENTS_RETENTION_MONTHS", "6")
    assert Settings().events_retention_months == 6
    monkeypatch.setenv("VEDB_EVENTS_RETENTION_MONTHS", "0")
    with pytest.raises(ValidationError, match="events_retention_months"):
        Settings()


def test_units_that_run_as_postgres_keep_postgres_ipc() -> None:
    """systemd's RemoveIPC, when a postgres unit stops, would remove the running server's
    dynamic shared memory (/dev/shm/PostgreSQL.*), and new connections would fail."""
    for name, values in (
        ("vedb-backup@.service.j2", {"stanza": "vedb", "repo_path": "/var/lib/pgbackrest"}),
        (
            "monitor/vedb-backup-metrics.service.j2",
            {
                "root": "/opt/vedb",
                "output": "/var/lib/vedb-metrics/vedb_backup.prom",
                "max_age_hours": 26,
                "textfile_dir": "/var/lib/vedb-metrics",
                "repo_path": "/var/lib/pgbackrest",
            },
        ),
    ):
        text = render(name, **values)
        assert "User=postgres\n" in text and "NoNewPrivileges=true" in text, name
        assert "RemoveIPC=false\n" in text and "RemoveIPC=true" not in text, name


def test_deployed_postgresql_conf_carries_debian_locations() -> None:
    text = render_postgresql_conf(
        host="db1", memory_mb=4096, cpus=2, disk="ssd", profile="web", pg_major=16, cluster="main"
    )
    assert "data_directory = '/var/lib/postgresql/16/main'" in text
    assert "hba_file = '/etc/postgresql/16/main/pg_hba.conf'" in text
    assert "cluster_name = '16/main'" in text
    plain = render_postgresql_conf(
        host="t", memory_mb=4096, cpus=2, disk="ssd", profile="web", pg_major=16
    )
    assert "data_directory" not in plain and "ssl = on" not in plain


# --- the health wait ---------------------------------------------------------------------------


@pytest.fixture
def flaky_server() -> Iterator[str]:
    """Answers 503 twice, then 200: an API that is still starting."""
    answers = iter([503, 503])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(next(answers, 200))
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/health"
    server.shutdown()


def test_wait_healthy_waits_for_200(flaky_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert wait_healthy(flaky_server, 10, interval=0.05) is None
    assert wait_main([flaky_server, "5"]) == 0
    assert capsys.readouterr().out.strip().endswith(": 200")


def test_wait_healthy_gives_up_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    with http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler) as s:
        port = s.server_port  # bound, then closed: nothing listens there
    assert wait_main([f"http://127.0.0.1:{port}/api/health", "0.3"]) == 1
    assert "not healthy after 0.3 s" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("web", "networks"), [(True, ["10.0.0.0/24", "192.168.1.0/24"]), (False, [])]
)
def test_the_firewall_rules_parse_and_default_to_deny(
    web: bool, networks: list[str], tmp_path: Path
) -> None:
    text = render(
        "nftables.conf.j2",
        ssh_port=22,
        ssh_new_per_minute=20,
        web=web,
        postgres_networks=networks,
        postgres_port=5432,
    )
    assert "type filter hook input priority filter; policy drop;" in text
    assert ("tcp dport { 80, 443 } accept" in text) == web
    assert ("tcp dport 5432" in text) == bool(networks)
    assert "6379" not in text and "8000" not in text  # Redis and the API: loopback only
    if os.geteuid() != 0 or shutil.which("nft") is None or shutil.which("unshare") is None:
        pytest.skip("nft --check needs root and nftables (a network namespace of its own)")
    rules = tmp_path / "nftables.conf"
    rules.write_text(text)
    checked = subprocess.run(
        ["unshare", "--net", "nft", "--check", "--file", str(rules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
