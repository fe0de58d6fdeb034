"""The deploy's pure parts: secrets, the inventory source and SCRAM verifiers (host values,
templates and the health wait: test_provision_render). The deploy itself is tests/deploy/."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from vedb.access import SCOPES
from vedb.provision.hostdata import acme_domain
from vedb.provision.hosts import InventoryError, inventory_groups
from vedb.provision.scram import scram_verifier, verifies
from vedb.provision.secrets import SecretsError, load_secrets, new_secrets_toml, write_new_secrets
from vedb.settings import REPO_ROOT
from vedb.stack import Stack

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
    assert list(loaded.api_tokens.values()) == [list(SCOPES)]  # one "operator" token
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
        "redis_password = ",
        "redis_password = 'has a space 0123'\n#",  # pragma: allowlist secret
    )
    with pytest.raises(SecretsError, match=r"redis_password: .*must not contain spaces"):
        load_secrets(write(tmp_path / "b.toml", quoted))
    scoped = new_secrets_toml().replace('"admin"]', '"root"]')
    with pytest.raises(SecretsError, match=r"unknown scope\(s\) \['root'\]"):
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
    assert groups["monitor"] == ["203.0.113.11"]  # no host has the role: the first api host
    data = dict(groups["production"])["203.0.113.10"]
    assert data == {
        "ssh_user": "deploy",
        "ssh_key": str(Path("~/.ssh/vedb").expanduser()),
        "postgres_allowed_networks": ["10.0.0.0/24"],
    }


def test_a_host_named_monitor_is_the_only_monitor(tmp_path: Path) -> None:
    text = INVENTORY + 'roles = ["db", "cache", "api", "monitor"]\n'
    groups = inventory_groups({"VEDB_INVENTORY_FILE": str(write(tmp_path / "i.toml", text))})
    assert groups["monitor"] == ["198.51.100.7"]


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
        conn.execute("SET password_encryption = 'scram-sha-256'")  # pragma: allowlist secret
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
        "",
        **{
            **info,
            "user": scratch_role,
            "password": "another-" + STRONG,  # pragma: allowlist secret
            "dbname": "postgres",
        },
    )
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (scratch_role,)


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


def test_vedb_secrets_new_makes_one_least_scope_token_per_client(tmp_path: Path) -> None:
    vedb = str(Path(sys.executable).parent / "vedb")
    path = tmp_path / "staging.toml"

    def new(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [vedb, "secrets", "new", str(path), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    made = new("--token", "dashboard=read", "--token", "etl=ingest,read")
    assert made.returncode == 0, made.stderr
    assert "dashboard (read), etl (ingest+read)" in made.stdout
    tokens = load_secrets(path).api_tokens
    assert sorted(tokens.values()) == [["ingest", "read"], ["read"]]
    assert "# dashboard\n" in path.read_text() and "# etl\n" in path.read_text()
    path.unlink()
    for bad, message in [
        ("dashboard", "want NAME=SCOPE[,SCOPE]"),
        ("dashboard=root", "unknown scope(s) ['root']"),
        ("Bad Name=read", "want NAME=SCOPE[,SCOPE]"),
    ]:
        refused = new("--token", bad)
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
        assert not path.exists()  # nothing half-written
    twice = new("--token", "a=read", "--token", "a=ingest")
    assert twice.returncode == 1 and "a is named twice" in twice.stderr


def test_acme_needs_a_dns_name_and_an_email_or_neither() -> None:
    assert acme_domain(None, None) is None
    assert acme_domain("API.Example.org.", "ops@example.org") == "api.example.org"
    with pytest.raises(ValueError, match="set tls_acme_email too"):
        acme_domain("api.example.org", None)
    with pytest.raises(ValueError, match="set tls_domain too"):
        acme_domain(None, "ops@example.org")
    for bad in ("203.0.113.10", "*.example.org", "localhost", "a..b.org", "-x.example.org"):
        with pytest.raises(ValueError, match=r"tls_domain = .* is not a DNS name"):
            acme_domain(bad, "ops@example.org")
    with pytest.raises(ValueError, match="tls_acme_email = 'ops' is not an e-mail address"):
        acme_domain("api.example.org", "ops")
