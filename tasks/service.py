"""A long-running unit the deploy keeps up: enabled, restarted when its inputs change, and
healthy (a URL answering 200) before the deploy goes on."""

from __future__ import annotations

from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.operations import server, systemd
from pyinfra.operations.util import any_changed


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
    started = systemd.service(
        name=f"Keep {label} running and enabled at boot", service=unit, running=True, enabled=True
    )
    restarted = systemd.service(
        name=f"Restart {label} for {restart_for}",
        service=unit,
        restarted=True,
        _if=any_changed(unit_file, *changes),
    )
    server.shell(
        name=f"Wait until {health_name}",
        commands=[
            f"{host.data.vedb_root}/venv/bin/python -m vedb.provision.wait_healthy "
            f"{health_url} {timeout_s}"
        ],
        _if=any_changed(started, restarted),
    )
