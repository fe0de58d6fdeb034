"""A long-running unit the deploy keeps up: enabled, restarted when its inputs change, and, for
the ones that serve HTTP, healthy (a URL answering 200) before the deploy goes on."""

from __future__ import annotations

from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.operations import server, systemd
from pyinfra.operations.util import any_changed


def kept_running(
    *, service: str, label: str, restart_for: str, changes: list[OperationMeta]
) -> tuple[OperationMeta, OperationMeta]:
    """Running and enabled at boot; restarted when one of ``changes`` changed something."""
    started = systemd.service(
        name=f"Keep {label} running and enabled at boot",
        service=service,
        running=True,
        enabled=True,
    )
    restarted = systemd.service(
        name=f"Restart {label} for {restart_for}",
        service=service,
        restarted=True,
        _if=any_changed(*changes),
    )
    return started, restarted


def healthy_service(  # noqa: PLR0913 -- the names the deploy's log shows, by keyword
    *,
    unit: str,
    label: str,
    unit_file: OperationMeta,
    changes: list[OperationMeta],
    restart_for: str,
    health_url: str,
    health_name: str,
    timeout_s: float,
) -> None:
    systemd.daemon_reload(name=f"Reload systemd for {unit}", _if=unit_file.did_change)
    started, restarted = kept_running(
        service=unit, label=label, restart_for=restart_for, changes=[unit_file, *changes]
    )
    server.shell(
        name=f"Wait until {health_name}",
        commands=[
            f"{host.data.vedb_root}/venv/bin/python -m vedb.provision.wait_healthy "
            f"{health_url} {timeout_s} --unit {unit}"
        ],
        _if=any_changed(started, restarted),
    )
