"""The monitor host: Prometheus (the rules of monitoring/alerts.yml, as committed) and
Alertmanager, Debian's, on loopback. The TLS proxy serves their UIs to admin tokens
(tasks/proxy.py); the exporters they scrape are tasks/exporters.py's."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.host import Host
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host, inventory
from pyinfra.operations import files, server, systemd
from pyinfra.operations.util import any_changed

from tasks.base import secret_file
from tasks.cluster import address, group, is_cluster
from tasks.exporters import MonitorError, listen_address, packaged_service
from tasks.service import kept_running
from vedb.provision.hostdata import deploy_secrets
from vedb.settings import REPO_ROOT
from vedb.templates import render

RULES = "/etc/prometheus/vedb-alerts.yml"
CONFIG = "/etc/prometheus/vedb.yml"
ALERTMANAGER_CONFIG = "/etc/prometheus/vedb-alertmanager.yml"


def _everyone() -> list[Host]:
    return [member for member in inventory if member.data.get("monitoring", True)]


def scrape_jobs() -> list[dict[str, object]]:
    """Prometheus's targets, each host by the address its exporters listen on."""

    def targets(members: list[Host], port: str) -> list[dict[str, str]]:
        return [
            {"address": f"{listen_address(m)}:{m.data.get(port)}", "instance": m.name}
            for m in members
        ]

    jobs: list[dict[str, object]] = [
        {"name": "node", "targets": targets(_everyone(), "node_exporter_port")},
        {"name": "postgres", "targets": targets(group("db"), "postgres_exporter_port")},
        {"name": "redis", "targets": targets(group("cache"), "redis_exporter_port")},
    ]
    api = [
        {
            "address": f"127.0.0.1:{m.data.api_port}"
            if m.name == host.name
            else f"{address(m)}:{host.data.api_metrics_port}",
            "instance": m.name,
        }
        for m in group("api")
    ]
    jobs.append({"name": "api", "targets": api})
    if is_cluster():
        # Through this host's nginx, which mends Patroni 3.0.2's "None" (tasks/proxy.py).
        port = host.data.patroni_metrics_port
        jobs.append(
            {
                "name": "patroni",
                "targets": [
                    {
                        "address": f"127.0.0.1:{port}",
                        "metrics_path": f"/{address(m)}/metrics",
                        "instance": m.name,
                    }
                    for m in group("db")
                ],
            }
        )
    return [job for job in jobs if job["targets"]]


def external_url(path: str) -> str:
    data = host.data
    name = data.tls_domain or data.tls_server_name or host.name
    return f"https://{name}/{path}/"


def _alertmanager_config() -> str:
    data = host.data
    secrets = deploy_secrets(data.secrets_file)
    webhook = secrets.alert_webhook_url.get_secret_value() if secrets.alert_webhook_url else None
    email = None
    if data.alert_email_to:
        if not (data.alert_email_from and data.alert_email_smarthost):
            raise MonitorError(
                "alert_email_to needs alert_email_from and alert_email_smarthost (host:port)"
            )
        password = secrets.alert_smtp_password
        if data.alert_email_username and password is None:
            raise MonitorError("alert_email_username needs the secret alert_smtp_password")
        email = {
            "to": data.alert_email_to,
            "from": data.alert_email_from,
            "smarthost": data.alert_email_smarthost,
            "username": data.alert_email_username,
            "password": password.get_secret_value() if password else None,
        }
    return render(
        "monitor/alertmanager.yml.j2",
        group_wait=data.alert_group_wait,
        repeat_interval=data.alert_repeat_interval,
        webhook_url=webhook or data.alert_webhook_url,
        email=email,
    )


@deploy("Monitor")
def monitor_server() -> None:
    """Prometheus (rules from monitoring/alerts.yml, as committed) and Alertmanager."""
    data = host.data
    if is_cluster() and "api" not in host.groups:
        raise MonitorError(
            f"monitor host {host.name!r} is not an api host: a cluster's monitor reads "
            "Patroni's metrics through the api host's nginx; give the monitor role to an api host"
        )
    files.directory(name="/etc/prometheus", path="/etc/prometheus", mode="755")
    rules = files.put(
        name="Install the alert rules (monitoring/alerts.yml)",
        src=str(REPO_ROOT / "monitoring" / "alerts.yml"),
        dest=RULES,
        mode="644",
    )
    config = files.put(
        name="Render Prometheus's configuration: the scrape targets",
        src=StringIO(
            render(
                "monitor/prometheus.yml.j2",
                scrape_interval=data.scrape_interval,
                monitor=host.name,
                prometheus_port=data.prometheus_port,
                alertmanager_port=data.alertmanager_port,
                rules_file=RULES,
                jobs=scrape_jobs(),
            )
        ),
        dest=CONFIG,
        mode="644",
    )
    receiver = secret_file(
        "Render Alertmanager's configuration: the receiver (0600, it may hold a password)",
        _alertmanager_config(),
        ALERTMANAGER_CONFIG,
        owner="prometheus",  # the account node-exporter's package made, on every host
    )
    prometheus = packaged_service(
        "prometheus",
        "Prometheus",
        ["prometheus"],
        f'ARGS="--config.file={CONFIG} --web.listen-address=127.0.0.1:{data.prometheus_port} '
        f"--web.external-url={external_url('prometheus')} "
        f'--storage.tsdb.retention.time={data.prometheus_retention}"\n',
    )
    alertmanager = packaged_service(
        "prometheus-alertmanager",
        "Alertmanager",
        ["prometheus-alertmanager"],
        # An empty cluster address: one Alertmanager, no gossip port open on every interface.
        f'ARGS="--config.file={ALERTMANAGER_CONFIG} '
        f"--web.listen-address=127.0.0.1:{data.alertmanager_port} "
        f"--web.external-url={external_url('alertmanager')} "
        '--cluster.listen-address="\n',
    )
    files.put(
        name="amtool on this host talks to this Alertmanager (silences, the alerts firing)",
        src=StringIO(
            f"# managed by pyinfra (tasks/monitor.py)\n"
            f"alertmanager.url: http://127.0.0.1:{data.alertmanager_port}/alertmanager\n"
        ),
        dest="/etc/prometheus/amtool.yml",  # where amtool 0.25 looks
        mode="644",
    )
    # Checked before they are used: a broken file never replaces the running configuration.
    server.shell(
        name="Check Prometheus's configuration and rules, Alertmanager's configuration",
        commands=[f"promtool check config {CONFIG}", f"amtool check-config {ALERTMANAGER_CONFIG}"],
        _if=any_changed(rules, config, receiver),
    )
    for unit, label, settings, inputs in (
        ("prometheus", "Prometheus", prometheus, [config, rules]),
        ("prometheus-alertmanager", "Alertmanager", alertmanager, [receiver]),
    ):
        _, restarted = kept_running(
            service=unit, label=label, restart_for="its new settings", changes=settings
        )
        systemd.service(
            name=f"Reload {label} for its new configuration",
            service=unit,
            reloaded=True,
            _if=_reload_needed(inputs, restarted),
        )


def _reload_needed(inputs: list[OperationMeta], restarted: OperationMeta) -> Callable[[], bool]:
    """A changed file needs a reload, unless the unit has just restarted (and read it)."""
    changed = any_changed(*inputs)
    return lambda: bool(changed()) and not restarted.did_change()
