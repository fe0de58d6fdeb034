"""The analytics API: the release's uvicorn under systemd, healthy before the deploy ends."""

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.operations import files, systemd
from pyinfra.operations.util import any_changed

from tasks.base import secret_file
from tasks.cluster import CLUSTER_CA, addresses, group, is_cluster
from tasks.service import healthy_service
from vedb.provision.hostdata import database_url, deploy_secrets, redis_url, tokens_json
from vedb.templates import render

UNIT = "vedb-api.service"
REFRESH = "vedb-refresh"


def _database_urls(password: str) -> dict[str, str]:
    """One server: database_host. A cluster: HAProxy on this host, the leader for writes and
    a replica within the lag bound for reads; and Patroni's REST API for /api/health."""
    data = host.data

    def url(where: str, port: int) -> str:
        return database_url(data.postgres_app_login, password, where, port, data.database_name)

    if not is_cluster():
        return {"database_url": url(data.database_host, data.postgres_port)}
    rest = group("db")[0].data.patroni_rest_port
    return {
        "database_url": url("127.0.0.1", data.cluster_write_port),
        "read_database_url": url("127.0.0.1", data.cluster_read_port),
        "patroni_url": ",".join(f"https://{a}:{rest}" for a in addresses("db")),
        "patroni_cafile": CLUSTER_CA,
    }


def _env_file(env_file: str) -> OperationMeta:
    data = host.data
    secrets = deploy_secrets(data.secrets_file)
    return secret_file(
        "Write the API's env file (0600, from secrets)",
        render(
            "vedb-api.env.j2",
            root=data.vedb_root,
            pool_max_size=data.api_pool_max_size,
            events_retention_months=data.events_retention_months,
            **_database_urls(secrets.postgres_app_password.get_secret_value()),
            redis_url=redis_url(
                secrets.redis_password.get_secret_value(), data.redis_host, data.redis_port
            ),
            api_tokens_json=tokens_json(secrets),
        ),
        env_file,
    )


@deploy("Analytics API")
def api_service(release_changes: list[OperationMeta]) -> None:
    data = host.data
    env_file = f"{data.vedb_etc}/api.env"
    env = _env_file(env_file)
    unit = files.put(
        name=f"Install the {UNIT} unit",
        src=StringIO(
            render(
                "vedb-api.service.j2",
                user=data.service_user,
                env_file=env_file,
                root=data.vedb_root,
                bind=data.api_bind,
                port=data.api_port,
                workers=data.api_workers,
            )
        ),
        dest=f"/etc/systemd/system/{UNIT}",
        user="root",
        group="root",
        mode="644",
    )
    probe = "127.0.0.1" if data.api_bind in ("0.0.0.0", "::") else data.api_bind  # noqa: S104
    healthy_service(
        unit=UNIT,
        label="the API",
        unit_file=unit,
        changes=[env, *release_changes],
        restart_for="the new release or configuration",
        health_url=f"http://{probe}:{data.api_port}/api/health",
        health_name="/api/health answers 200",
        timeout_s=data.api_health_timeout_s,
    )


@deploy("Rollup catch-up timer")
def refresh_timer() -> None:
    """`vedb refresh` every rollup_refresh_interval, as the service user with the API's env."""
    data = host.data
    values = {
        "user": data.service_user,
        "env_file": f"{data.vedb_etc}/api.env",
        "root": data.vedb_root,
        "interval": data.rollup_refresh_interval,
    }
    units = [
        files.put(
            name=f"Install the {REFRESH}.{kind} unit",
            src=StringIO(render(f"{REFRESH}.{kind}.j2", **values)),
            dest=f"/etc/systemd/system/{REFRESH}.{kind}",
            user="root",
            group="root",
            mode="644",
        )
        for kind in ("service", "timer")
    ]
    systemd.daemon_reload(name="Reload systemd for the changed timer", _if=any_changed(*units))
    systemd.service(
        name="Keep the rollup catch-up timer enabled and running",
        service=f"{REFRESH}.timer",
        running=True,
        enabled=True,
    )
