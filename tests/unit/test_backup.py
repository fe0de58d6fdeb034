"""`vedb backup` / `vedb restore`: what they refuse before touching a host, the SSH command
they build from the inventory, and the files the deploy renders for pgBackRest and NocoDB."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vedb.backup.pgbackrest import (
    BackupError,
    any_answers,
    database_hosts,
    parse_time,
    repository_only_config,
    scratch_dir,
)
from vedb.cli import app
from vedb.pgconf import render_postgresql_conf
from vedb.provision.hosts import InventoryError, ssh_command
from vedb.provision.secrets import load_secrets, write_new_secrets
from vedb.templates import render

INVENTORY = """
[defaults]
ssh_user = "root"
ssh_key = "/keys/id"
ssh_known_hosts_file = "/keys/known"

[hosts."203.0.113.10"]
environment = "production"
"""


def test_times_need_an_offset_and_names_are_plain() -> None:
    assert parse_time("2026-11-23T10:41:00+00:00").utcoffset() is not None
    assert parse_time("2026-11-23 10:41:00.5+01:00").hour == 10
    with pytest.raises(BackupError, match="is not an ISO 8601 time"):
        parse_time("yesterday")
    with pytest.raises(
        BackupError, match=r"has no UTC offset: add one, e\.g\. 2026-01-01T00:00\+00:00"
    ):
        parse_time("2026-01-01T00:00")
    assert scratch_dir("before_oops") == Path("/var/lib/postgresql/vedb-restore/before_oops")
    for bad in ("../etc", "Upper", "", "a" * 33, "1st"):
        with pytest.raises(BackupError, match="use a lowercase name"):
            scratch_dir(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["restore"], "give exactly one of --into NAME or --drop NAME"),
        (["restore", "--into", "a", "--drop", "b"], "give exactly one of"),
        (["restore", "--into", "x", "--time", "noon"], "'noon' is not an ISO 8601 time"),
        (["restore", "--drop", "../x"], "use a lowercase name"),
        (["backup", "--type", "diff", "--host", "198.51.100.1"], "is not in the inventory"),
        # Refused before the inventory is read: the host is in it, and no SSH is tried.
        (["backup", "--type", "weekly", "--host", "203.0.113.10"], "--type 'weekly': use one of"),
    ],
)
def test_bad_input_is_one_line_and_nothing_runs(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(INVENTORY)
    monkeypatch.setenv("VEDB_INVENTORY_FILE", str(inventory))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_remote_commands_reach_the_host_as_the_deploy_does(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(INVENTORY)
    environ = {"VEDB_INVENTORY_FILE": str(inventory)}
    command = ssh_command("203.0.113.10", ["restore", "--into", "x", "--time", "a b"], environ)
    assert command == [
        "ssh", "-o", "BatchMode=yes", "-i", "/keys/id", "-o", "UserKnownHostsFile=/keys/known",
        "root@203.0.113.10", "/opt/vedb/venv/bin/vedb", "restore", "--into", "x", "--time", "'a b'",
    ]  # fmt: skip
    with pytest.raises(InventoryError, match=r"--host '10\.0\.0\.1' is not in the inventory"):
        ssh_command("10.0.0.1", [], environ)


def test_archiving_is_on_only_with_a_command() -> None:
    common = {"host": "db1", "memory_mb": 4096, "cpus": 2, "disk": "ssd", "profile": "web"}
    archiving = render_postgresql_conf(
        **common,
        pg_major=15,
        cluster="main",
        archive_command="pgbackrest --stanza=vedb archive-push %p",
    )  # type: ignore[arg-type]
    assert "archive_mode = on" in archiving
    assert "archive_command = 'pgbackrest --stanza=vedb archive-push %p'" in archiving
    plain = render_postgresql_conf(**common, pg_major=15)  # type: ignore[arg-type]
    assert "archive_mode" not in plain


def test_pgbackrest_config_and_backup_units() -> None:
    conf = render(
        "pgbackrest.conf.j2", host="db1", role="single", stanza="vedb",
        repo_path="/var/lib/pgbackrest", retention_full=2, retention_diff=6,
        data_directory="/var/lib/postgresql/15/main", port=5432,
        lock_path="/var/lib/pgbackrest/lock", members=[{"host": None}],
    )  # fmt: skip
    assert "[vedb]\npg1-path=/var/lib/postgresql/15/main\n" in conf
    assert "repo1-retention-full=2\n" in conf and "lock-path=/var/lib/pgbackrest/lock" in conf
    unit = render("vedb-backup@.service.j2", stanza="vedb", repo_path="/var/lib/pgbackrest")
    assert "--type=%i" in unit and "User=postgres" in unit
    assert "ReadWritePaths=/var/lib/pgbackrest /var/log/pgbackrest" in unit
    assert "MemoryDenyWriteExecute=true" in unit
    timer = render("vedb-backup.timer.j2", kind="diff", schedule="Mon..Sat *-*-* 02:30:00")
    assert "Unit=vedb-backup@diff.service" in timer and "Persistent=true" in timer


def test_nocodb_unit_env_and_proxy_routes() -> None:
    unit = render(
        "vedb-nocodb.service.j2", user="nocodb", env_file="/etc/vedb/nocodb.env",
        node="/opt/node/node-22/bin/node", app_dir="/opt/nocodb", jit=True,
    )  # fmt: skip
    assert "ExecStart=/opt/node/node-22/bin/node /opt/nocodb/server.js" in unit
    assert "MemoryDenyWriteExecute" not in unit.replace("# Left out", "")  # V8 needs W+X
    assert "CapabilityBoundingSet=\n" in unit and "User=nocodb" in unit
    fake = "pw"  # pragma: allowlist secret -- made up for the template
    env = render(
        "nocodb.env.j2", port=5432, login="nocodb", password=fake, database="nocodb",
        jwt_secret=fake, admin_email="a@example.com", admin_password=fake,
        public_url="https://h", listen_port=8080,
    )  # fmt: skip
    assert 'NC_DB="pg://127.0.0.1:5432?u=nocodb&p=pw&d=nocodb"' in env  # quoted: the & stay
    assert "NC_DISABLE_TELE=1" in env
    site = dict(
        api_port=8000, certificate="c", private_key="k", rate_per_second=20, rate_burst=40,
        max_body="1m", acme_webroot=None,
    )  # fmt: skip
    with_nocodb = render("nginx-vedb.conf.j2", **site, nocodb_port=8080)
    assert "location ~ ^/api/v[0-9]+/ {\n        proxy_pass http://127.0.0.1:8080;" in with_nocodb
    assert "8080" not in render("nginx-vedb.conf.j2", **site, nocodb_port=None)
    # Mozilla's intermediate profile: AEAD suites only, TLS 1.2 and 1.3.
    ciphers = re.search(r"ssl_ciphers (\S+);", with_nocodb)
    assert ciphers is not None and "CBC" not in ciphers[1] and "SHA:" not in ciphers[1] + ":"
    assert all(
        suite.endswith(("GCM-SHA256", "GCM-SHA384", "POLY1305")) for suite in ciphers[1].split(":")
    )
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in with_nocodb
    # ACME: port 80 serves the webroot's challenges and redirects the rest.
    assert "acme-challenge" not in with_nocodb
    acme = render(
        "nginx-vedb.conf.j2", **{**site, "acme_webroot": "/var/lib/vedb-acme"}, nocodb_port=None
    )
    # The monitor's UIs ask the API about the token first; the token goes no further.
    monitored = render(
        "nginx-vedb.conf.j2", **site, nocodb_port=None,
        monitor={"prometheus_port": 9090, "alertmanager_port": 9093},
        metrics_listen={"address": "10.0.0.3", "port": 9180, "allowed": ["10.0.0.9"]},
    )  # fmt: skip
    for path, port in (("prometheus", 9090), ("alertmanager", 9093)):
        location = monitored.split(f"location /{path}/ {{")[1].split("}")[0]
        assert "auth_request /_vedb_admin_auth;" in location
        assert 'proxy_set_header Authorization "";' in location
        assert f"proxy_pass http://127.0.0.1:{port};" in location
    private = monitored.split("listen 10.0.0.3:9180;")[1].split("listen 443")[0]
    assert "allow 10.0.0.9;\n        deny all;" in private
    assert "/prometheus/" not in with_nocodb and "9180" not in with_nocodb
    patroni = render(
        "nginx-vedb.conf.j2", **site, nocodb_port=None,
        patroni_metrics={"port": 9108, "ca_file": "/ca.crt",
                         "members": [{"address": "10.0.0.2", "port": 8008}]},
    )  # fmt: skip
    member = patroni.split("location = /10.0.0.2/metrics {")[1].split("}")[0]
    assert "proxy_pass https://10.0.0.2:8008/metrics;" in member
    assert "proxy_ssl_verify on;" in member and 'sub_filter "' in member
    port_80 = acme.split("listen 443")[0]
    assert "location /.well-known/acme-challenge/ {\n        root /var/lib/vedb-acme;" in port_80
    assert "location / {\n        return 301 https://$host$request_uri;" in port_80


def test_new_secrets_carry_nocodb_passwords_nocodb_accepts(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    write_new_secrets(path)
    secrets = load_secrets(path)
    assert secrets.nocodb_db_password is not None and secrets.nocodb_jwt_secret is not None
    assert secrets.nocodb_admin_password is not None
    admin = secrets.nocodb_admin_password.get_secret_value()
    # NocoDB's rule for NC_ADMIN_PASSWORD: 8+ characters with upper, lower, digit and symbol.
    for pattern in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]"):
        assert re.search(pattern, admin), pattern
    assert len(admin) >= 16


def repository_conf(tls_port: int) -> str:
    """A cluster's repository host's pgbackrest.conf, naming two database hosts."""
    return render(
        "pgbackrest.conf.j2", host="bak", role="repo", stanza="vedb",
        repo_path="/var/lib/pgbackrest", retention_full=2, retention_diff=6,
        data_directory="/var/lib/postgresql/15/main", port=5432,
        lock_path="/var/lib/pgbackrest/lock", address="10.0.0.9", tls="/etc/vedb-tls",
        tls_port=tls_port, repo_host="10.0.0.9", backup_standby=True,
        tls_clients=["db1", "db2"], members=[{"host": "10.0.0.1"}, {"host": "10.0.0.2"}],
    )  # fmt: skip


def test_a_repository_hosts_restore_reads_its_settings_without_the_database_hosts(
    tmp_path: Path,
) -> None:
    conf = repository_conf(tls_port=8432)
    source = tmp_path / "pgbackrest.conf"
    source.write_text(conf)
    assert "pg1-host=10.0.0.1" in conf and "pg2-host=10.0.0.2" in conf
    written = repository_only_config(source, tmp_path / "pitr")
    assert written == tmp_path / "pitr.pgbackrest.conf"
    assert written.stat().st_mode & 0o777 == 0o600
    kept = written.read_text()
    assert not re.search(r"^pg[0-9]+-", kept, flags=re.M), kept
    assert "repo1-path=/var/lib/pgbackrest" in kept and "[vedb]" in kept
    assert kept.count("tls-server-auth=") == conf.count("tls-server-auth=")


def test_a_repository_host_probes_the_database_hosts_it_names(tmp_path: Path) -> None:
    conf = repository_conf(tls_port=8433)
    source = tmp_path / "pgbackrest.conf"
    source.write_text(conf)
    assert database_hosts(source) == [("10.0.0.1", 8433), ("10.0.0.2", 8433)]
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
        assert any_answers([("127.0.0.1", port)])
    assert not any_answers([("127.0.0.1", port)])  # closed now: refused at once
