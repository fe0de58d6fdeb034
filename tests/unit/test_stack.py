"""`vedb stack up`/`down` on local binaries, and the errors when a server cannot be had."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg
import pytest
import redis

from tests.conftest import needs_local_postgres, needs_local_redis
from vedb.settings import Settings
from vedb.stack import StackError, doctor, start_stack
from vedb.stack.binaries import postgres_bin_dir
from vedb.stack.local import alive

VEDB = str(Path(sys.executable).parent / "vedb")


def run_vedb(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VEDB, *args], env=env, capture_output=True, text=True, check=False)


def local_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEDB_")}
    return {**env, "VEDB_STACK_BACKEND": "local", "VEDB_STACK_STATE_FILE": str(tmp_path / "s.json")}


def pids_of(workdir: Path) -> list[int]:
    pidfiles = [workdir / "data" / "postmaster.pid", workdir / "redis.pid"]
    return [int(p.read_text().split()[0]) for p in pidfiles if p.exists()]


@needs_local_postgres
@needs_local_redis
def test_stack_up_then_down_leaves_no_process_and_no_temp_dir(tmp_path: Path) -> None:
    env = local_env(tmp_path)
    up = run_vedb("stack", "up", env=env)
    assert up.returncode == 0, up.stderr
    state = json.loads((tmp_path / "s.json").read_text())
    workdirs = [Path(state[kind]["workdir"]) for kind in ("postgres", "redis")]
    pids = [pid for workdir in workdirs for pid in pids_of(workdir)]
    assert len(pids) == 2 and all(alive(pid) for pid in pids)

    exported = run_vedb("stack", "env", env=env).stdout
    db_url = exported.split("VEDB_DATABASE_URL='")[1].split("'")[0]
    redis_url = exported.split("VEDB_REDIS_URL='")[1].split("'")[0]
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("vedb",)
    password = urllib.parse.urlsplit(db_url).password
    assert password and password not in up.stdout and ":***@" in up.stdout  # env has it
    assert redis.Redis.from_url(redis_url).ping()

    again = run_vedb("stack", "up", env=env)
    assert "already running" in again.stdout

    down = run_vedb("stack", "down", env=env)
    assert down.returncode == 0, down.stderr
    assert not any(alive(pid) for pid in pids)
    assert not any(workdir.exists() for workdir in workdirs)
    assert not (tmp_path / "s.json").exists()
    assert run_vedb("stack", "status", env=env).returncode == 3


@needs_local_postgres
@needs_local_redis
def test_servers_require_their_passwords(stack_settings: Settings) -> None:
    stack = start_stack(stack_settings)
    try:
        no_password = stack.postgres.url.replace(
            stack.postgres.url.split("@")[0], "postgresql://postgres"
        )
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(no_password).close()
        anonymous = redis.Redis.from_url(
            stack.redis.url.replace(stack.redis.url.split("@")[0], "redis://")
        )
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
    finally:
        stack.stop()


@pytest.fixture
def stack_settings(tmp_path: Path) -> Settings:
    return Settings(
        stack_backend="local",
        test_database_url=None,
        test_redis_url=None,
        stack_state_file=tmp_path / "s.json",
    )


def test_missing_binaries_error_says_what_to_install(
    stack_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hide the binaries (not the servers: no server is faked) to see the guidance.
    monkeypatch.setattr("vedb.stack.stack.postgres_bin_dir", lambda: None)
    with pytest.raises(StackError, match=r"apt-get install postgresql.*VEDB_TEST_DATABASE_URL"):
        start_stack(stack_settings)
    monkeypatch.setattr("vedb.stack.stack.redis_server_binary", lambda: None)
    monkeypatch.setattr("vedb.stack.stack.postgres_bin_dir", postgres_bin_dir)
    with pytest.raises(StackError, match=r"apt-get install redis-server.*VEDB_TEST_REDIS_URL"):
        start_stack(stack_settings)


def test_external_urls_are_used_as_given(tmp_path: Path) -> None:
    settings = Settings(
        test_database_url="postgresql://u:p@db.invalid:5432/x",
        test_redis_url="redis://cache.invalid:6379/0",
    )
    stack = start_stack(settings)
    assert stack.postgres.source == stack.redis.source == "external"
    assert stack.postgres.url == "postgresql://u:p@db.invalid:5432/x"
    stack.stop()  # stopping an external server is a no-op


def test_cli_without_database_says_how_to_get_one(tmp_path: Path) -> None:
    result = run_vedb("migrate", env=local_env(tmp_path))
    assert result.returncode == 1
    assert "set VEDB_DATABASE_URL, or run `vedb stack up`" in result.stderr


def test_doctor_names_the_packages_of_missing_monitoring_tools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None if name == "amtool" else name)
    assert doctor.missing_monitoring_tools() == ["prometheus-alertmanager"]
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    assert doctor.missing_monitoring_tools() == ["prometheus", "prometheus-alertmanager"]
