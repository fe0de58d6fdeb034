"""End to end: `pyinfra inventory.py deploy.py` turns a bare Debian 12 host into the stack.

Everything is checked from outside the host, the way an operator or a client sees it. The tests
run in file order: the first deploy, what it built, a second deploy that changes nothing, then
a reloadable and a restart-only change.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from yoyo import read_migrations

from tests.deploy.conftest import Deployment, DeployRun
from tests.deploy.scan import open_ports
from tests.deploy.testhost import Guest
from vedb.backup.fingerprint import fingerprint
from vedb.provision.secrets import load_secrets
from vedb.settings import REPO_ROOT
from vedb.tuning import postgres_settings

pytestmark = pytest.mark.deploy
UNITS_KB = {"kB": 1, "MB": 1024, "GB": 1024 * 1024}


def connect(deployment: Deployment, **overrides: Any) -> psycopg.Connection[tuple[Any, ...]]:
    params = {
        "host": deployment.host.address,
        "dbname": "vedb",
        "user": "vedb_api",
        "password": deployment.secrets.postgres_app_password.get_secret_value(),
        "connect_timeout": 5,
        **overrides,
    }
    return psycopg.connect(**params, autocommit=True)


def normalised(value: str) -> str:
    """Memory settings in kB, so 1GB and 1024MB compare equal; anything else as it is."""
    if match := re.fullmatch(r"(\d+)(kB|MB|GB)", value):
        return f"{int(match[1]) * UNITS_KB[match[2]]}kB"
    return value


def host_hardware(host: Guest) -> tuple[int, int]:
    """RAM in MB (rounded like pyinfra's Memory fact) and CPUs, as the host itself reports."""
    mem_kb = int(host.ssh("awk '/^MemTotal/ {print $2}' /proc/meminfo"))
    return round(mem_kb / 1024), int(host.ssh("getconf _NPROCESSORS_ONLN"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


PINNED: dict[str, ssl.SSLContext] = {}


def pinned(host: Guest) -> ssl.SSLContext:
    """Trusts exactly the guest's self-signed certificate, as docs/deploy.md says to pin it."""
    if host.address not in PINNED:
        certificate = host.ssh("cat /etc/vedb/tls/cert.pem")
        PINNED[host.address] = ssl.create_default_context(cadata=certificate)
    return PINNED[host.address]


def get(host: Guest, path: str, **headers: str) -> urllib.request.Request:
    return urllib.request.Request(f"https://{host.address}{path}", headers=headers)


def fetch(host: Guest, path: str, timeout: float = 10, **headers: str) -> tuple[int, bytes, Any]:
    request = get(host, path, **headers)
    with urllib.request.urlopen(request, timeout=timeout, context=pinned(host)) as response:
        return response.status, response.read(), response.headers


def healthy_within(host: Guest, seconds: float) -> bool:
    """/api/health answers 200 within ``seconds`` (each try bounded, the loop too)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(urllib.error.HTTPError, OSError):
            if health(host)[0] == 200:
                return True
        time.sleep(0.5)
    return False


def health(host: Guest) -> tuple[int, dict[str, Any]]:
    status, body, _ = fetch(host, "/api/health", timeout=5)
    return status, json.loads(body)


def test_first_deploy_succeeds(first_run: DeployRun) -> None:
    assert first_run.returncode == 0
    # The migrations run in their own step, which a cluster runs on its leader only.
    migrate = "PostgreSQL | Database and migrations | Apply the pending migrations with yoyo"
    assert migrate in first_run.changed()


def test_tuned_settings_equal_what_the_tuning_module_computes(
    first_run: DeployRun, deployment: Deployment
) -> None:
    memory_mb, cpus = host_hardware(deployment.host)
    expected = postgres_settings(memory_mb, cpus, "ssd", "web", 15)
    with connect(deployment) as conn:
        shown = {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in expected}  # type: ignore[index]
    assert {name: normalised(value) for name, value in shown.items()} == {
        name: normalised(s.value) for name, s in expected.items()
    }
    assert shown["shared_buffers"] == expected["shared_buffers"].value  # RAM/4, e.g. 6027MB


def test_pg_stat_statements_is_loaded_and_counting(
    first_run: DeployRun, deployment: Deployment
) -> None:
    # Only superusers and pg_read_all_settings may SHOW it: ask as the postgres OS account.
    preloaded = deployment.host.ssh(
        "runuser -u postgres -- psql -XAtc 'SHOW shared_preload_libraries'"
    )
    assert preloaded.strip() == "pg_stat_statements,auto_explain"
    with connect(deployment) as conn:
        conn.execute("SELECT 42 AS probe_for_pg_stat_statements")
        calls = conn.execute(
            "SELECT sum(calls) FROM pg_stat_statements WHERE query LIKE '%probe_for_pg_stat%'"
        ).fetchone()
    assert calls is not None and calls[0] >= 1


def test_only_passwords_over_tls_get_in(first_run: DeployRun, deployment: Deployment) -> None:
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        connect(deployment, password="")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(deployment, password="not-the-password")  # pragma: allowlist secret
    # The superuser never gets in from the network, whatever it presents.
    with pytest.raises(psycopg.OperationalError, match=r'rejects connection .* user "postgres"'):
        connect(deployment, user="postgres", password="")
    # Without TLS nothing matches a remote line: even the right password is refused.
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        connect(deployment, sslmode="disable")
    with connect(deployment, sslmode="require") as conn:  # the app role, password from secrets
        assert conn.execute("SELECT current_user").fetchone() == ("vedb_api",)
        assert conn.info.pgconn.ssl_in_use
    log = deployment.host.ssh("journalctl -u postgresql@15-main --no-pager -n 200 || true")
    tail = deployment.host.ssh("tail -n 200 /var/log/postgresql/postgresql-15-main.log")
    assert "connection authorized: user=vedb_api" in log + tail  # log_connections
    hba = deployment.host.ssh("grep -v '^#' /etc/postgresql/15/main/pg_hba.conf")
    assert "trust" not in hba and "md5" not in hba and "10.231.0.0/24" in hba


def test_redis_needs_the_password_and_is_a_bounded_cache(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    assert "NOAUTH" in host.ssh("redis-cli -h 127.0.0.1 ping")
    password = deployment.secrets.redis_password.get_secret_value()
    config = host.ssh(f"REDISCLI_AUTH={password} redis-cli -h 127.0.0.1 CONFIG GET '*'")
    values = dict(zip(*[iter(config.splitlines())] * 2, strict=False))
    memory_mb, _ = host_hardware(host)
    assert values["maxmemory"] == str(int(memory_mb * 0.10) * 1024 * 1024)
    assert (values["maxmemory-policy"], values["save"], values["appendonly"]) == (
        "allkeys-lru",
        "",
        "no",
    )
    assert values["bind"] == "127.0.0.1 -::1" and values["protected-mode"] == "yes"


def test_api_answers_from_outside_and_caches(first_run: DeployRun, deployment: Deployment) -> None:
    status, body = health(deployment.host)
    assert (status, body["status"], body["database"], body["redis"]) == (200, "ok", "up", "up")
    token = next(iter(deployment.secrets.api_tokens))
    path = "/api/analytics/leaderboard?limit=3"
    caches = []
    for _ in range(2):
        status, _, headers = fetch(deployment.host, path, Authorization=f"Bearer {token}")
        assert status == 200
        caches.append(headers["X-Cache"])
    assert caches == ["MISS", "HIT"]
    with pytest.raises(urllib.error.HTTPError, match="401"):
        fetch(deployment.host, path)


def test_only_ssh_web_and_postgres_are_reachable_and_http_redirects(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    # 5432 is open because the deploy test allows its network (postgres_allowed_networks).
    assert open_ports(host.address) == [22, 80, 443, 5432]
    assert "enabled" in host.ssh("systemctl is-enabled nftables")
    assert "127.0.0.1:8000" in host.ssh("ss -Hltn sport = :8000")  # the API: loopback only
    plain = urllib.request.Request(f"http://{host.address}/api/health?x=1")
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(plain, timeout=10)
    assert redirect.value.code == 301
    assert redirect.value.headers["Location"] == f"https://{host.address}/api/health?x=1"
    status, _, headers = fetch(host, "/api/health")
    assert status == 200 and headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    # The API's metrics: on loopback for a scraper on the host, never through the proxy.
    with pytest.raises(urllib.error.HTTPError, match="404"):
        fetch(host, "/metrics")
    assert "http_request" in host.ssh("curl -fsS http://127.0.0.1:8000/metrics")


def test_the_proxy_limits_rates_and_keeps_query_strings_out_of_its_log(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    secret = "do-not-log-me"  # pragma: allowlist secret
    fetch(host, f"/api/health?token={secret}")

    def status() -> int:
        try:
            return fetch(host, "/api/health", timeout=10)[0]
        except urllib.error.HTTPError as refused:
            return refused.code

    with ThreadPoolExecutor(16) as pool:  # 200 at once: far past 20/s and its burst of 40
        codes = list(pool.map(lambda _: status(), range(200)))
    assert set(codes) == {200, 429} and codes.count(200) >= 40
    log = host.ssh("cat /var/log/nginx/vedb-access.log")
    assert "GET /api/health HTTP" in log and secret not in log
    with pytest.raises(urllib.error.HTTPError, match="413"):
        urllib.request.urlopen(
            urllib.request.Request(
                f"https://{host.address}/api/events", data=b"x" * 2_000_000, method="POST"
            ),
            timeout=20,
            context=pinned(host),
        )


def nocodb(host: Guest, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """NocoDB's API through the proxy: (status, parsed body)."""
    request = urllib.request.Request(
        f"https://{host.address}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60, context=pinned(host)) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


STRANGER_PASSWORD = "A-long-Passw0rd-here"  # pragma: allowlist secret -- a made-up sign-up


def nocodb_admin(deployment: Deployment) -> dict[str, str]:
    """The super admin's session header, signed in with the secrets' password."""
    password = deployment.secrets.nocodb_admin_password
    assert password is not None
    credentials = {"email": "admin@example.com", "password": password.get_secret_value()}
    status, signed_in = nocodb(deployment.host, "POST", "/api/v1/auth/user/signin", credentials)
    assert status == 200, signed_in
    return {"xc-auth": signed_in["token"]}


def nocodb_table(deployment: Deployment, auth: dict[str, str], schema: str, table: str) -> str:
    """The id NocoDB gives ``schema.table`` in the base vedb."""
    host = deployment.host
    bases = nocodb(host, "GET", "/api/v2/meta/bases", **auth)[1]["list"]
    base = next(b for b in bases if b["title"] == "vedb")
    listed = nocodb(host, "GET", f"/api/v2/meta/bases/{base['id']}", **auth)[1]["sources"]
    sources = {s["alias"]: s["id"] for s in listed}
    assert {"learning", "gamification", "social", "analytics"} <= set(sources)
    path = f"/api/v2/meta/bases/{base['id']}/{sources[schema]}/tables"
    tables = nocodb(host, "GET", path, **auth)[1]["list"]
    return str(next(t["id"] for t in tables if t["table_name"] == table))


def test_nocodb_signs_in_its_admin_refuses_sign_ups_and_only_reads(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    assert nocodb(host, "GET", "/api/v1/health")[1]["message"] == "OK"
    assert "127.0.0.1:8080" in host.ssh("ss -Hltn sport = :8080")  # loopback only
    assert host.ssh("ps -o user= -C node | sort -u").split() == ["nocodb"]
    auth = nocodb_admin(deployment)
    status, refused = nocodb(
        host,
        "POST",
        "/api/v1/auth/user/signup",
        {"email": "someone@example.com", "password": STRANGER_PASSWORD},
    )
    assert status == 400 and "Not allowed to signup" in refused["msg"]
    courses = nocodb_table(deployment, auth, "learning", "courses")
    status, listed = nocodb(host, "GET", f"/api/v2/tables/{courses}/records?limit=1", **auth)
    assert status == 200 and "pageInfo" in listed
    # Through NocoDB's own connection (the read-only login) PostgreSQL refuses any write:
    # 42501 is insufficient_privilege.
    status, failed = nocodb(
        host, "POST", f"/api/v2/tables/{courses}/records", [{"title": "x"}], **auth
    )
    assert (status, failed.get("code")) == (400, "42501"), failed


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def headless(url: str, profile: Path, budget_ms: int) -> subprocess.CompletedProcess[str]:
    """The page's DOM after ``budget_ms`` of virtual time, and Chromium's log (its console)."""
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # root in CI; the page comes from the test's own guest
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            # The guest's self-signed certificate; the urllib checks pin it.
            "--ignore-certificate-errors",
            f"--virtual-time-budget={budget_ms}",  # lets the page load before the snapshot
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (`vedb stack doctor --install`)")
def test_nocodb_gui_renders_through_the_proxy(
    first_run: DeployRun, deployment: Deployment, tmp_path: Path
) -> None:
    host = deployment.host
    # NocoDB's GUI evaluates strings as code: under the API's policy it stays a blank page.
    _, _, gui = fetch(host, "/dashboard/")
    _, _, api = fetch(host, "/api/health")
    assert "'unsafe-eval'" in gui["Content-Security-Policy"]
    assert "'unsafe-eval'" not in api["Content-Security-Policy"]
    assert gui["Strict-Transport-Security"] and gui["X-Frame-Options"] == "DENY"
    page = headless(f"https://{host.address}/dashboard/", tmp_path, budget_ms=15_000)
    assert page.returncode == 0, page.stderr[-2000:]
    assert "SIGN IN" in page.stdout and 'type="password"' in page.stdout, page.stdout[-2000:]


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (`vedb stack doctor --install`)")
def test_insights_render_through_the_proxy_under_its_policy(
    first_run: DeployRun, deployment: Deployment, tmp_path: Path
) -> None:
    host = deployment.host
    _, _, headers = fetch(host, "/insights")
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
    token = next(iter(deployment.secrets.api_tokens))  # `vedb secrets new`: every scope
    page = headless(f"https://{host.address}/insights#token={token}", tmp_path, budget_ms=8_000)
    assert page.returncode == 0, page.stderr[-2000:]
    assert 'data-state="complete"' in page.stdout, page.stdout[-2000:]
    assert "data-error" not in page.stdout, page.stdout[-3000:]
    # A script or style the policy refused would show here, as would any script error.
    assert not [line for line in page.stderr.splitlines() if ":CONSOLE" in line], page.stderr


def test_migrations_are_at_head(first_run: DeployRun, deployment: Deployment) -> None:
    local = [m.id for m in read_migrations(str(REPO_ROOT / "migrations"))]
    with connect(deployment) as conn:
        applied = [r[0] for r in conn.execute("SELECT migration_id FROM _yoyo_migration")]
        environment = conn.execute("SELECT current_setting('vedb.environment')").fetchone()
    assert sorted(applied) == sorted(local)
    assert health(deployment.host)[1]["migration_head"] == local[-1]
    assert environment == ("staging",)


def test_the_refresh_timer_catches_queued_changes_up_as_the_api_login(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    assert host.ssh("systemctl is-enabled vedb-refresh.timer").strip() == "enabled"
    with connect(deployment) as conn:
        conn.execute("INSERT INTO analytics.rollup_stale (reason) VALUES ('deploy test')")
        conn.commit()
    host.ssh("systemctl start vedb-refresh.service")  # what the timer starts; oneshot: waits
    assert "catch-up" in host.ssh("journalctl -u vedb-refresh.service -n 20 --no-pager")
    with connect(deployment) as conn:
        queued = conn.execute("SELECT count(*) FROM analytics.rollup_stale").fetchone()
    assert queued == (0,)


def vedb(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """This checkout's `vedb`, run the way an operator runs it, with only ``env`` set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "vedb"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_vedb_health_of_the_deployed_database_finds_nothing_critical(
    first_run: DeployRun, deployment: Deployment
) -> None:
    conninfo = make_conninfo(
        host=deployment.host.address,
        dbname="vedb",
        user="vedb_api",
        password=deployment.secrets.postgres_app_password.get_secret_value(),
    )
    result = vedb("health", "--json", timeout=60, VEDB_DATABASE_URL=conninfo)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["status"] != "critical", body
    # The API's login sees every session and pg_stat_statements, through vedb_monitor.
    assert body["checks"]["slow_queries"]["status"] == "ok"
    assert body["checks"]["wal_archiving"]["status"] == "ok"  # pgBackRest takes every segment
    assert "could not run" not in result.stdout
    token = next(iter(deployment.secrets.api_tokens))  # `vedb secrets new`: every scope
    _, answer, _ = fetch(
        deployment.host, "/api/admin/db-health", timeout=30, Authorization=f"Bearer {token}"
    )
    served = json.loads(answer)
    assert list(served["checks"]) == list(body["checks"]) and served["status"] != "critical"


def test_secrets_land_as_0600_files_and_the_api_runs_unprivileged(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    modes = host.ssh("stat -c '%n %a %U' /etc/vedb /etc/vedb/api.env")
    assert modes.split("\n")[:2] == ["/etc/vedb 700 root", "/etc/vedb/api.env 600 root"]
    # The schema owner's password was on the host only while the migrations ran.
    assert host.ssh("ls /etc/vedb").split() == [
        "api.env",
        "nocodb.env",
        "prometheus-alertmanager.env",
        "prometheus-node-exporter.env",
        "prometheus-postgres-exporter.env",
        "prometheus-redis-exporter.env",  # Redis's password: the exporter's alone
        "prometheus.env",
        "tls",
    ]
    env_modes = host.ssh("stat -c '%a %U' /etc/vedb/*.env").split("\n")[:-1]
    assert set(env_modes) == {"600 root"}, env_modes
    receiver = host.ssh("stat -c '%a %U' /etc/prometheus/vedb-alertmanager.yml").strip()
    assert receiver == "600 prometheus"  # it may hold the relay's password
    assert host.ssh("ps -o user= -C uvicorn | sort -u").split() == ["vedb"]


def test_second_deploy_changes_nothing(first_run: DeployRun, deployment: Deployment) -> None:
    second = deployment.run()
    assert second.returncode == 0, second.output[-4000:]
    assert second.changed() == [], second.output[-6000:]
    assert second.unchanged() >= 30  # every operation ran and found nothing to do


def postmaster_pid(host: Guest) -> str:
    return host.ssh("head -1 /var/lib/postgresql/15/main/postmaster.pid").strip()


def test_reloadable_changes_reload_and_restart_only_changes_restart(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    before = postmaster_pid(host)
    reload = deployment.run(postgres_log_min_duration_ms=250)
    assert reload.returncode == 0, reload.output[-4000:]
    assert postmaster_pid(host) == before
    with connect(deployment) as conn:
        assert conn.execute("SHOW log_min_duration_statement").fetchone() == ("250ms",)

    restart = deployment.run(postgres_log_min_duration_ms=250, postgres_max_connections=150)
    assert restart.returncode == 0, restart.output[-4000:]
    assert postmaster_pid(host) != before
    with connect(deployment) as conn:
        assert conn.execute("SHOW max_connections").fetchone() == ("150",)
    assert healthy_within(host, 30)  # the API's pools reconnect by themselves


def rotate(deployment: Deployment, old: str) -> tuple[str, DeployRun]:
    """Replaces the secret ``old`` in the secrets file and deploys (with the settings the
    earlier tests left); returns the new value and the run."""
    new = "rotated-" + old[::-1]
    text = deployment.secrets_file.read_text().replace(f'"{old}"', f'"{new}"')
    deployment.secrets_file.write_text(text)
    deployment.secrets = load_secrets(deployment.secrets_file)
    rotated = deployment.run(postgres_log_min_duration_ms=250, postgres_max_connections=150)
    assert rotated.returncode == 0, rotated.output[-4000:]
    return new, rotated


def test_a_rotated_password_is_applied_and_the_api_follows(
    first_run: DeployRun, deployment: Deployment
) -> None:
    old = deployment.secrets.postgres_app_password.get_secret_value()
    new, rotated = rotate(deployment, old)
    assert {op.split(" | ", 1)[1] for op in rotated.changed()} == {
        "Database and migrations | "
        "Login role vedb_api in vedb_app, vedb_readonly, vedb_monitor, password from secrets",
        "Write the API's env file (0600, from secrets)",
        "Restart the API for the new release or configuration",
        "Wait until /api/health answers 200",
    }
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(deployment, password=old)
    with connect(deployment, password=new) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert health(deployment.host)[1]["database"] == "up"


def test_a_rotated_reader_password_reaches_nocodb(
    first_run: DeployRun, deployment: Deployment
) -> None:
    old = deployment.secrets.postgres_readonly_password.get_secret_value()
    _, rotated = rotate(deployment, old)
    assert {op.split(" | ", 1)[1] for op in rotated.changed()} == {
        "Database and migrations | Login role vedb_reader in vedb_readonly, password from secrets",
        "Write NocoDB's env file (0600, from secrets)",
        "Restart NocoDB for a new app or configuration",
        "Wait until NocoDB answers /api/v1/health",
        # NocoDB keeps the connection's password in its metadata: the deploy updates it.
        "Close NocoDB's sign-up; add the base vedb, read as the read-only login",
    }
    auth = nocodb_admin(deployment)
    users = nocodb_table(deployment, auth, "learning", "users")
    status, listed = nocodb(
        deployment.host, "GET", f"/api/v2/tables/{users}/records?limit=1", **auth
    )
    assert status == 200 and "pageInfo" in listed, listed  # a stale password: 400, 28P01


def test_sshd_takes_keys_only_and_security_upgrades_are_on(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    effective = host.ssh("sshd -T")
    for setting in (
        "passwordauthentication no",
        "permitrootlogin without-password",
        "x11forwarding no",
        "allowtcpforwarding no",
        "allowagentforwarding no",
    ):
        assert setting in effective, setting
    refused = subprocess.run(
        [
            "ssh",
            "-o",
            "BatchMode=yes",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            f"UserKnownHostsFile={host.known_hosts}",
            "-o",
            "StrictHostKeyChecking=accept-new",
            f"root@{host.address}",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert refused.returncode == 255 and "Permission denied (publickey)" in refused.stderr
    assert 'Unattended-Upgrade "1"' in host.ssh("cat /etc/apt/apt.conf.d/20auto-upgrades")


def test_the_services_are_sandboxed(first_run: DeployRun, deployment: Deployment) -> None:
    for unit in (
        "vedb-api.service",
        "vedb-refresh.service",
        "vedb-backup@full.service",
        "vedb-nocodb.service",
        "vedb-backup-metrics.service",
    ):
        report = deployment.host.ssh(f"systemd-analyze security --no-pager {unit}")
        level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", report)
        assert level is not None, report[-2000:]
        assert float(level.group(1)) <= 3.0, report  # systemd's "OK" band
    assert healthy_within(deployment.host, 30)  # and the API still runs inside it


def owner_url(deployment: Deployment) -> str:
    return make_conninfo(
        host=deployment.host.address,
        dbname="vedb",
        user="vedb_migrator",
        password=deployment.secrets.postgres_owner_password.get_secret_value(),
        sslmode="require",
    )


def test_backup_then_point_in_time_restore_brings_deleted_rows_back(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host, inventory = deployment.host, {"VEDB_INVENTORY_FILE": str(deployment.inventory_file)}
    seeded = vedb("seed", "--profile", "demo", VEDB_DATABASE_URL=owner_url(deployment))
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    for kind in ("full", "diff"):  # on demand, from this machine, through the inventory
        backup = vedb("backup", "--host", host.address, "--type", kind, **inventory)
        assert backup.returncode == 0, backup.stdout + backup.stderr
        assert f"{kind} backup done" in backup.stdout
    with psycopg.connect(owner_url(deployment), autocommit=True) as conn:
        # Nothing may commit between the fingerprint and the moment: the API's folder has
        # nothing left to fold once the seeder's events are folded.
        deadline = time.monotonic() + 30
        while conn.execute("SELECT count(*) FROM analytics.event_queue").fetchone() != (0,):
            assert time.monotonic() < deadline, "the API never folded the seeded events"
            time.sleep(0.5)
        before = fingerprint(conn)
        time.sleep(1)
        moment = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        time.sleep(1)
        gone = conn.execute("DELETE FROM social.follows WHERE follower_id % 2 = 0").rowcount
        conn.execute("DELETE FROM gamification.user_achievements")
    assert gone > 0 and before["social.follows"].rows > gone
    restored = vedb(
        "restore",
        "--host",
        host.address,
        "--into",
        "pitr",
        "--time",
        moment.isoformat(),
        "--json",
        **inventory,
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    tables = json.loads(restored.stdout)["tables"]
    assert {name: (t["rows"], t["checksum"]) for name, t in tables.items()} == {
        name: tuple(fp) for name, fp in before.items()
    }
    assert tables["social.follows"]["live_rows"] == before["social.follows"].rows - gone
    assert tables["learning.users"]["rows"] > 0
    dropped = vedb("restore", "--host", host.address, "--drop", "pitr", **inventory)
    assert dropped.returncode == 0 and "removed" in dropped.stdout, dropped.stderr
    assert host.ssh("ls /var/lib/postgresql/vedb-restore").split() == []


def test_the_backup_units_leave_the_servers_shared_memory_alone(
    first_run: DeployRun, deployment: Deployment
) -> None:
    """Units that run as postgres must not remove postgres's IPC when they stop: that took the
    running server's dynamic shared memory, and every later connection failed."""
    host = deployment.host
    for unit in ("vedb-backup@diff.service", "vedb-backup-metrics.service"):
        host.ssh(f"systemctl start {unit}", timeout=600)  # oneshot: returns when it has run
        assert host.ssh(f"systemctl show -p RemoveIPC --value {unit}").strip() == "no"
        answer = host.ssh("cd / && runuser -u postgres -- psql -XAtq -d vedb -c 'SELECT 1'")
        assert answer.strip() == "1", unit


def test_restore_refuses_bad_input_before_touching_the_host(
    first_run: DeployRun, deployment: Deployment
) -> None:
    inventory = {"VEDB_INVENTORY_FILE": str(deployment.inventory_file)}
    for args, message in (
        (("--into", "x", "--time", "yesterday"), "is not an ISO 8601 time"),
        (("--into", "x", "--time", "2026-01-01T00:00"), "has no UTC offset"),
        (("--into", "../etc"), "use a lowercase name"),
        (("--into", "x", "--host", "203.0.113.9"), "is not in the inventory"),
    ):
        result = vedb("restore", *args, **inventory)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)


def test_the_journal_holds_no_password_verifier_and_no_token(
    first_run: DeployRun, deployment: Deployment
) -> None:
    journal = deployment.host.ssh("journalctl --no-pager -o cat", timeout=120)
    assert "sudo" in journal and "COMMAND=" in journal  # sudo does log the deploy's commands
    assert "SCRAM-SHA-256$" not in journal
    secrets = deployment.secrets
    for token in secrets.api_tokens:
        assert token not in journal
    for password in (
        secrets.postgres_owner_password,
        secrets.postgres_app_password,
        secrets.postgres_readonly_password,
        secrets.redis_password,
        secrets.nocodb_admin_password,
        secrets.nocodb_db_password,
    ):
        assert password is not None
        assert password.get_secret_value() not in journal


def test_a_reboot_brings_every_service_and_the_firewall_back(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    host.reboot()  # the firewall's rules are flushed with it, as a real reboot loses them
    # SSH answers before the boot has finished starting everything: wait for systemd to say
    # it has (bounded), as an operator would, then name any unit that failed.
    state = host.ssh("timeout 300 systemctl is-system-running --wait", check=False, timeout=330)
    failed = host.ssh("systemctl --failed --no-legend --plain", check=False)
    print(f"\nafter the reboot: {state.strip()}; failed units: {failed.strip() or 'none'}")
    assert failed.strip() == ""
    units = (
        "postgresql@15-main nftables redis-server vedb-api nginx "
        "vedb-nocodb vedb-refresh.timer vedb-backup-full.timer vedb-backup-diff.timer "
        "prometheus prometheus-alertmanager prometheus-node-exporter "
        "prometheus-postgres-exporter prometheus-redis-exporter vedb-backup-metrics.timer"
    )
    active = host.ssh(f"systemctl is-active {units}", check=False).split()
    assert active == ["active"] * len(units.split()), list(zip(units.split(), active, strict=True))
    assert "table inet vedb_filter" in host.ssh("nft list tables")
    assert healthy_within(host, 60)
    assert open_ports(host.address) == [22, 80, 443, 5432]
