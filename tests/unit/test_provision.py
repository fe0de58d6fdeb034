"""The deploy's pure parts: secrets, the inventory source, SCRAM verifiers, derived host values,
the rendered templates, and the health wait. The deploy itself is tests/deploy/."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from vedb.pgconf import render_postgresql_conf
from vedb.provision.hostdata import (
    database_url,
    postgres_major,
    redis_maxmemory_mb,
    redis_url,
    secrets_path,
)
from vedb.provision.hosts import InventoryError, inventory_groups
from vedb.provision.operations import identifier
from vedb.provision.scram import scram_verifier, verifies
from vedb.provision.secrets import SecretsError, load_secrets, new_secrets_toml, write_new_secrets
from vedb.provision.wait_healthy import main as wait_main
from vedb.provision.wait_healthy import wait_healthy
from vedb.settings import REPO_ROOT
from vedb.stack import Stack
from vedb.templates import render

STRONG = "s3cret-password-0123456789"


@pytest.fixture(autouse=True)
def no_secret_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("VEDB_SECRET", "VEDB_INVENTORY", "VEDB_DEPLOY", "VEDB_SSH")):
            monkeypatch.delenv(name)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


# --- secrets ---------------------------------------------------------------------------------


def test_new_secrets_file_is_0600_complete_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "s" / "prod.toml"
    write_new_secrets(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = load_secrets(path)
    assert len(loaded.redis_password.get_secret_value()) >= 24
    assert list(loaded.api_tokens.values()) == [["read", "analytics", "ingest"]]
    assert new_secrets_toml() != new_secrets_toml()  # fresh randomness every time
    with pytest.raises(FileExistsError):
        write_new_secrets(path)


def test_secrets_file_must_be_private_and_exist(tmp_path: Path) -> None:
    shared = write(tmp_path / "shared.toml", new_secrets_toml(), 0o644)
    with pytest.raises(SecretsError, match=f"readable by others: chmod 600 {shared}"):
        load_secrets(shared)
    with pytest.raises(SecretsError, match="vedb secrets new"):
        load_secrets(tmp_path / "missing.toml")
    bad = write(tmp_path / "bad.toml", "postgres_owner_password = ")
    with pytest.raises(SecretsError, match="not valid TOML"):
        load_secrets(bad)


def test_bad_values_are_named(tmp_path: Path) -> None:
    text = new_secrets_toml().replace("redis_password = ", 'redis_password = "short"\n#')
    with pytest.raises(SecretsError, match="redis_password: Value error, must be at least 16"):
        load_secrets(write(tmp_path / "a.toml", text))
    quoted = new_secrets_toml().replace(
        "redis_password = ", "redis_password = 'has a space 0123'\n#"
    )
    with pytest.raises(SecretsError, match=r"redis_password: .*must not contain spaces"):
        load_secrets(write(tmp_path / "b.toml", quoted))
    scoped = new_secrets_toml().replace('"ingest"]', '"admin"]')
    with pytest.raises(SecretsError, match=r"unknown scope\(s\) \['admin'\]"):
        load_secrets(write(tmp_path / "c.toml", scoped))
    extra = new_secrets_toml() + "\n[extra]\nkey = 1\n"
    with pytest.raises(SecretsError, match="extra: Extra inputs are not permitted"):
        load_secrets(write(tmp_path / "d.toml", extra))


def test_environment_overrides_the_file_and_can_stand_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "s.toml", new_secrets_toml())
    monkeypatch.setenv("VEDB_SECRET_REDIS_PASSWORD", STRONG)
    assert load_secrets(path).redis_password.get_secret_value() == STRONG
    for name in ("POSTGRES_OWNER_PASSWORD", "POSTGRES_APP_PASSWORD", "POSTGRES_READONLY_PASSWORD"):
        monkeypatch.setenv(f"VEDB_SECRET_{name}", STRONG)
    monkeypatch.setenv("VEDB_SECRET_API_TOKENS", '{"' + "t" * 32 + '": ["read"]}')
    assert load_secrets(None).api_tokens == {"t" * 32: ["read"]}
    monkeypatch.delenv("VEDB_SECRET_API_TOKENS")
    with pytest.raises(SecretsError, match="api_tokens: Field required"):
        load_secrets(None)


# --- inventory ---------------------------------------------------------------------------------

INVENTORY = """
[defaults]
ssh_user = "deploy"
ssh_key = "~/.ssh/vedb"

[hosts."203.0.113.10"]
environment = "production"
roles = ["db"]
postgres_allowed_networks = ["10.0.0.0/24"]

[hosts."203.0.113.11"]
environment = "production"
roles = ["cache", "api"]

[hosts."198.51.100.7"]
environment = "staging"
"""


def test_inventory_file_maps_hosts_to_environment_and_role_groups(tmp_path: Path) -> None:
    path = write(tmp_path / "inventory.toml", INVENTORY)
    groups = inventory_groups({"VEDB_INVENTORY_FILE": str(path)})
    assert [name for name, _ in groups["production"]] == ["203.0.113.10", "203.0.113.11"]
    assert groups["db"] == ["203.0.113.10", "198.51.100.7"]
    assert groups["api"] == ["203.0.113.11", "198.51.100.7"]
    data = dict(groups["production"])["203.0.113.10"]
    assert data == {
        "ssh_user": "deploy",
        "ssh_key": str(Path("~/.ssh/vedb").expanduser()),
        "postgres_allowed_networks": ["10.0.0.0/24"],
    }


def test_inventory_from_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "VEDB_DEPLOY_HOSTS": "staging:198.51.100.7, production:203.0.113.10",
        "VEDB_SSH_USER": "root",
        "VEDB_SSH_KEY": "/keys/id",
    }
    groups = inventory_groups(env)
    assert groups["staging"] == [("198.51.100.7", {"ssh_user": "root", "ssh_key": "/keys/id"})]
    assert groups["cache"] == ["198.51.100.7", "203.0.113.10"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no hosts: set VEDB_INVENTORY_FILE"),
        ({"VEDB_DEPLOY_HOSTS": "198.51.100.7"}, "'198.51.100.7' is not ENVIRONMENT:HOST"),
        ({"VEDB_DEPLOY_HOSTS": "prod:198.51.100.7"}, "environment 'prod'; use one of staging"),
        ({"VEDB_INVENTORY_FILE": "/nonexistent.toml"}, "no such file"),
    ],
)
def test_inventory_errors_name_the_bad_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(InventoryError, match=message):
        inventory_groups(env)


def test_inventory_file_errors(tmp_path: Path) -> None:
    bad_role = write(tmp_path / "r.toml", '[hosts."h"]\nenvironment = "staging"\nroles = ["web"]')
    with pytest.raises(InventoryError, match="roles \\['web'\\]; choose from db, cache, api"):
        inventory_groups({"VEDB_INVENTORY_FILE": str(bad_role)})
    typo = write(tmp_path / "t.toml", '[host."h"]\nenvironment = "staging"\n')
    with pytest.raises(InventoryError, match=r"unknown table\(s\) \['host'\]"):
        inventory_groups({"VEDB_INVENTORY_FILE": str(typo)})


def test_pyinfra_reports_a_missing_inventory_clearly() -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VEDB_INVENTORY", "VEDB_DEPLOY"))
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pyinfra"), "inventory.py", "deploy.py", "-y"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "inventory.py: no hosts: set VEDB_INVENTORY_FILE" in result.stdout + result.stderr


# --- SCRAM -------------------------------------------------------------------------------------


def test_scram_verifier_round_trip() -> None:
    verifier = scram_verifier(STRONG)
    assert verifier.startswith("SCRAM-SHA-256$4096:")
    assert verifies(verifier, STRONG) and not verifies(verifier, STRONG + "x")
    assert scram_verifier(STRONG) != verifier  # salted
    assert not verifies("md5" + "0" * 32, STRONG) and not verifies(None, STRONG)
    assert not verifies("SCRAM-SHA-256$garbage", STRONG)


@pytest.fixture
def scratch_role(stack: Stack) -> Iterator[str]:
    role = f"vedb_scram_{uuid.uuid4().hex[:8]}"
    yield role
    with psycopg.connect(stack.postgres.url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_postgresql_and_the_verifier_agree(stack: Stack, scratch_role: str) -> None:
    """PostgreSQL's own verifier verifies here, and ours lets the password log in."""
    with psycopg.connect(stack.postgres.url, autocommit=True) as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(scratch_role), sql.Literal(STRONG)
            )
        )
        stored = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (scratch_role,)
        ).fetchone()
        assert stored is not None and verifies(stored[0], STRONG)
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(scratch_role), sql.Literal(scram_verifier("another-" + STRONG))
            )
        )
    info = psycopg.conninfo.conninfo_to_dict(stack.postgres.url)
    url = psycopg.conninfo.make_conninfo(
        "", **{**info, "user": scratch_role, "password": "another-" + STRONG, "dbname": "postgres"}
    )
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (scratch_role,)


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
        "postgresql://vedb_api:p%40ss%2Fw%3Ard@10.0.0.5:5432/vedb"
    )
    assert redis_url("a#b", "127.0.0.1", 6379) == "redis://:a%23b@127.0.0.1:6379/0"


def test_secrets_path_prefers_the_environment() -> None:
    assert secrets_path("secrets/staging.toml", {}) == REPO_ROOT / "secrets/staging.toml"
    assert secrets_path("x.toml", {"VEDB_SECRETS_FILE": "/etc/s.toml"}) == Path("/etc/s.toml")
    assert secrets_path(None, {}) is None


# --- templates ---------------------------------------------------------------------------------


def test_pg_hba_is_scram_only_for_the_configured_networks() -> None:
    text = render(
        "pg_hba.conf.j2",
        host="db1",
        database="vedb",
        allowed_networks=["10.0.0.0/24", "192.168.1.0/24"],
    )
    rules = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    assert {rule[-1] for rule in rules} == {"peer", "scram-sha-256"}
    assert [r for r in rules if r[-1] == "peer"] == [["local", "all", "postgres", "peer"]]
    assert ["host", "vedb", "all", "10.0.0.0/24", "scram-sha-256"] in rules
    assert ["host", "vedb", "all", "192.168.1.0/24", "scram-sha-256"] in rules
    assert len(rules) == 6


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


def test_vedb_secrets_new_and_check(tmp_path: Path) -> None:
    vedb = str(Path(sys.executable).parent / "vedb")
    path = tmp_path / "production.toml"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [vedb, "secrets", *args, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    made = cli("new")
    assert made.returncode == 0 and "mode 0600" in made.stdout
    assert path.stat().st_mode & 0o777 == 0o600
    assert cli("check").stdout.strip().endswith("ok, 1 API token(s)")
    again = cli("new")
    assert again.returncode == 1 and "already exists" in again.stderr
    path.chmod(0o644)
    shared = cli("check")
    assert shared.returncode == 1 and f"chmod 600 {path}" in shared.stderr
