"""The alert rules (promtool), the rendered Prometheus and Alertmanager configurations, and the
backups' age as a textfile. The exporter's queries run in tests/sql/test_exporter_queries.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from vedb.backup.metrics import last_completed, textfile, write_atomically
from vedb.settings import REPO_ROOT
from vedb.templates import render

MONITORING = REPO_ROOT / "monitoring"
RUNBOOK = REPO_ROOT / "docs" / "monitoring.md"
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus) is not installed"
)
needs_amtool = pytest.mark.skipif(
    shutil.which("amtool") is None, reason="amtool (prometheus-alertmanager) is not installed"
)


def tool(*args: str, stdin: str | None = None, cwd: Path = MONITORING) -> str:
    result = subprocess.run(
        args, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


@needs_promtool
def test_promtool_checks_the_committed_rules() -> None:
    assert "SUCCESS: 14 rules found" in tool("promtool", "check", "rules", "alerts.yml")


@needs_promtool
def test_each_alert_fires_after_its_for_and_not_on_healthy_series() -> None:
    assert "SUCCESS" in tool("promtool", "test", "rules", "alerts.test.yml")


def test_every_alert_waits_and_links_a_runbook_that_exists() -> None:
    anchors = {
        re.sub(r"[^a-z0-9-]", "", line[4:].strip().lower().replace(" ", "-"))
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("### ")
    }
    tested = (MONITORING / "alerts.test.yml").read_text()
    for rule in rules():
        name = rule["alert"]
        assert rule.get("for"), f"{name} has no for:"
        assert rule["annotations"]["runbook_url"] == f"docs/monitoring.md#{name.lower()}"
        assert name.lower() in anchors, f"docs/monitoring.md has no '### {name}' runbook"
        assert f"alertname: {name}" in tested, f"alerts.test.yml never tests {name}"


def prometheus_config(tmp_path: Path) -> Path:
    jobs = [
        {"name": "node", "targets": [{"address": "10.0.0.2:9100", "instance": "db1"}]},
        {
            "name": "patroni",  # through the monitor's nginx, one path per member
            "targets": [
                {
                    "address": "127.0.0.1:9108",
                    "instance": "db1",
                    "metrics_path": "/10.0.0.2/metrics",
                }
            ],
        },
        {
            "name": "tls",
            "scheme": "https",
            "ca_file": str(tmp_path / "ca.crt"),
            "targets": [{"address": "10.0.0.2:8443", "instance": "db1"}],
        },
    ]
    (tmp_path / "ca.crt").write_text("")
    shutil.copy(MONITORING / "alerts.yml", tmp_path / "alerts.yml")
    path = tmp_path / "prometheus.yml"
    path.write_text(
        render(
            "monitor/prometheus.yml.j2",
            scrape_interval="15s",
            monitor="api1",
            prometheus_port=9090,
            alertmanager_port=9093,
            rules_file=str(tmp_path / "alerts.yml"),
            jobs=jobs,
        )
    )
    return path


@needs_promtool
def test_the_rendered_prometheus_configuration_checks_out(tmp_path: Path) -> None:
    path = prometheus_config(tmp_path)
    assert "SUCCESS" in tool("promtool", "check", "config", "--syntax-only", str(path))
    config = yaml.safe_load(path.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"prometheus", "alertmanager", "node", "patroni", "tls"}
    assert jobs["tls"]["scheme"] == "https"
    assert jobs["patroni"]["static_configs"][0]["labels"] == {
        "instance": "db1",
        "__metrics_path__": "/10.0.0.2/metrics",
    }
    assert jobs["node"]["static_configs"][0]["labels"] == {"instance": "db1"}
    assert config["alerting"]["alertmanagers"][0]["path_prefix"] == "/alertmanager"


@needs_amtool
@pytest.mark.parametrize(
    "receiver",
    [
        {"webhook_url": 'https://hooks.example.com/vedb?token=a"b', "email": None},
        {
            "webhook_url": None,
            "email": {
                "to": "ops@example.com",
                "from": "alerts@example.com",
                "smarthost": "smtp.example.com:587",
                "username": "alerts",
                "password": "p'a\"ss: word",  # pragma: allowlist secret
            },
        },
        {"webhook_url": None, "email": None},
    ],
)
def test_the_rendered_alertmanager_configuration_checks_out(
    tmp_path: Path, receiver: dict[str, Any]
) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(
        render("monitor/alertmanager.yml.j2", group_wait="30s", repeat_interval="4h", **receiver)
    )
    assert "SUCCESS" in tool("amtool", "check-config", str(path))
    operator = yaml.safe_load(path.read_text())["receivers"][0]
    if receiver["webhook_url"]:
        assert operator["webhook_configs"][0]["url"] == receiver["webhook_url"]
    if receiver["email"]:
        assert operator["email_configs"][0]["auth_password"] == receiver["email"]["password"]


INFO = [
    {
        "name": "vedb",
        "backup": [
            {"type": "full", "timestamp": {"start": 100, "stop": 160}},
            {"type": "diff", "timestamp": {"start": 900, "stop": 930}},
            {"type": "full", "timestamp": {"start": 500, "stop": 590}},
        ],
    }
]


def test_the_backups_age_is_the_newest_stop_of_any_type(tmp_path: Path) -> None:
    newest = last_completed(INFO)
    assert newest == {"full": 590, "diff": 930}
    text = textfile(newest, 26 * 3600, now=1000.7)
    assert "vedb_backup_last_completed_timestamp_seconds 930\n" in text
    assert "vedb_backup_max_age_seconds 93600\n" in text
    assert "vedb_backup_metrics_written_timestamp_seconds 1000\n" in text
    # No backup at all reads as one from 1970: BackupTooOld fires.
    assert "vedb_backup_last_completed_timestamp_seconds 0\n" in textfile({}, 60, now=5)
    out = tmp_path / "vedb_backup.prom"
    write_atomically(out, text)
    assert out.read_text() == text and out.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["vedb_backup.prom"]
    if shutil.which("promtool"):
        tool("promtool", "check", "metrics", stdin=text)
