"""Redis: a password-protected pure cache, bounded by maxmemory with allkeys-lru."""

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.facts.hardware import Memory
from pyinfra.operations import apt, files

from tasks.service import kept_running
from vedb.provision.hostdata import deploy_secrets, redis_maxmemory_mb
from vedb.templates import render


@deploy("Redis")
def redis_server() -> None:
    data = host.data
    apt.packages(
        name="Install Redis",
        packages=["redis-server"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    memory_mb = host.get_fact(Memory)
    conf = files.put(
        name="Render redis.conf: requirepass, maxmemory with allkeys-lru, no persistence",
        src=StringIO(
            render(
                "redis.conf.j2",
                host=host.name,
                bind=data.redis_bind,
                port=data.redis_port,
                password=deploy_secrets(data.secrets_file).redis_password.get_secret_value(),
                memory_mb=memory_mb,
                maxmemory_fraction=data.redis_maxmemory_fraction,
                maxmemory_mb=redis_maxmemory_mb(memory_mb, data.redis_maxmemory_fraction),
            )
        ),
        # /etc/redis is redis-only (2770): the file never sits anywhere readable by others.
        dest="/etc/redis/redis.conf",
        user="redis",
        group="redis",
        mode="640",
        _temp_dir=data.vedb_etc,
    )
    kept_running(
        service="redis-server",
        label="Redis",
        restart_for="the new configuration (a cache: nothing is lost but warmth)",
        changes=[conf],
    )
