"""PostgreSQL: the distro's server (or PGDG's), tuned, scram-sha-256 only, migrated with yoyo."""

from io import StringIO

from pyinfra.api.arguments import ConnectorArguments
from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.files import File
from pyinfra.facts.server import LinuxDistribution
from pyinfra.operations import apt, files, postgres, server, systemd
from pyinfra.operations.util import any_changed
from yoyo import read_migrations

from tasks.backup import backup_config
from tasks.cluster import is_cluster
from tasks.nocodb import nocodb_secrets
from tasks.patroni import is_leader, patroni_member
from tasks.tuned import tuned_conf
from vedb.access import (
    APP_ROLE,
    EXPORTER_LOGIN,
    GROUP_ROLES,
    MONITOR_ROLE,
    OWNER_ROLE,
    READONLY_ROLE,
)
from vedb.provision.hostdata import deploy_secrets, pgdg_source, postgres_major
from vedb.provision.operations import identifier, login_role, sql_unless, yoyo_apply
from vedb.provision.secrets import DeploySecrets
from vedb.settings import REPO_ROOT
from vedb.templates import render

PGDG_KEY_URL = "https://www.postgresql.org/media/keys/ACCC4CF8.asc"
PGDG_KEYRING = "/usr/share/keyrings/pgdg.asc"
AS_POSTGRES: ConnectorArguments = {"_sudo": True, "_sudo_user": "postgres"}
PG_TLS = "/etc/postgresql/vedb-tls"

# Validates the new files against the running server before touching it, then reloads, or
# restarts when pg_file_settings says a changed setting can only be applied by a restart.
APPLY_CONFIG = """set -e
q() {{ runuser -u postgres -- psql -XAtq -c "$1"; }}
bad=$(q "SELECT string_agg(name || ': ' || error, '; ') FROM pg_file_settings WHERE error IS NOT NULL AND error <> 'setting could not be applied'")
bad="$bad$(q "SELECT string_agg('pg_hba.conf line ' || line_number || ': ' || error, '; ') FROM pg_hba_file_rules WHERE error IS NOT NULL")"
if [ -n "$bad" ]; then echo "new PostgreSQL configuration rejected, server untouched: $bad" >&2; exit 1; fi
pending=$(q "SELECT string_agg(name, ', ') FROM pg_file_settings WHERE error = 'setting could not be applied'")
if [ -n "$pending" ]; then echo "restarting for: $pending"; systemctl restart {service}; else systemctl reload {service}; fi
"""  # noqa: E501


def _install(major: int) -> None:
    package = "postgresql"
    if host.data.postgres_pgdg:
        if host.data.postgres_major is None:
            raise ValueError("postgres_pgdg = True needs postgres_major (e.g. 16) in host data")
        codename = host.get_fact(LinuxDistribution)["release_meta"]["VERSION_CODENAME"]
        files.download(name="Fetch the PGDG signing key", src=PGDG_KEY_URL, dest=PGDG_KEYRING)
        repo = apt.repo(
            name="Add the PGDG repository", src=pgdg_source(codename, PGDG_KEYRING), filename="pgdg"
        )
        apt.update(name="Refresh apt for the PGDG repository", _if=repo.did_change)
        package = f"postgresql-{major}"
    apt.packages(
        name=f"Install PostgreSQL {major}",
        packages=[package],
        update=True,
        cache_time=host.data.apt_cache_seconds,
    )
    files.directory(
        name="Only postgres reads its home (/var/lib/postgresql, 750)",
        path="/var/lib/postgresql",
        user="postgres",
        group="postgres",
        mode="750",
    )


def _server_certificate() -> OperationMeta:
    """A self-signed pair for the server's TLS, made once; only postgres reads the key."""
    return server.shell(
        name=f"Make PostgreSQL's TLS certificate for {host.name} (once)",
        commands=[
            f"install -d -o postgres -g postgres -m 700 {PG_TLS}",
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825"
            f" -subj /CN={host.name} -keyout {PG_TLS}/server.key -out {PG_TLS}/server.crt"
            " 2>/dev/null",
            f"chown postgres:postgres {PG_TLS}/server.key {PG_TLS}/server.crt",
            f"chmod 600 {PG_TLS}/server.key",
        ],
        _if=lambda: host.get_fact(File, path=f"{PG_TLS}/server.crt") is None,
    )


def _configure(major: int) -> None:
    data, cluster = host.data, host.data.postgres_cluster
    conf_dir, service = f"/etc/postgresql/{major}/{cluster}", f"postgresql@{major}-{cluster}"
    certificate = _server_certificate()
    conf = files.put(
        name="Render the tuned postgresql.conf",
        src=StringIO(
            tuned_conf(
                major, listen_addresses=data.postgres_listen_addresses, port=data.postgres_port
            )
        ),
        dest=f"{conf_dir}/postgresql.conf",
        user="postgres",
        group="postgres",
        mode="644",
    )
    hba = files.put(
        name="Render pg_hba.conf: scram-sha-256 only, from the configured networks",
        src=StringIO(
            render(
                "pg_hba.conf.j2",
                host=host.name,
                database=data.database_name,
                allowed_networks=data.postgres_allowed_networks,
            )
        ),
        dest=f"{conf_dir}/pg_hba.conf",
        user="postgres",
        group="postgres",
        mode="640",
    )
    systemd.service(
        name="Keep PostgreSQL running and enabled at boot",
        service=service,
        running=True,
        enabled=True,
    )
    server.shell(
        name="Apply the configuration: reload, or restart if a restart-only setting changed",
        commands=[APPLY_CONFIG.format(service=service)],
        _if=any_changed(certificate, conf, hba),
    )


def _nocodb_database(secrets: DeploySecrets) -> None:
    """NocoDB keeps its metadata in a database of its own, owned by its own login."""
    data = host.data
    password = nocodb_secrets(secrets)["nocodb_db_password"]
    login = data.nocodb_db_login
    login_role(
        name=f"Login role {login} for NocoDB's metadata, password from secrets",
        role=login,
        password=password,
        member_of=[],
        script_dir=data.vedb_etc,
    )
    postgres.database(
        name=f"Create the database {data.nocodb_database}, owned by {login}",
        database=data.nocodb_database,
        owner=login,
        encoding="UTF8",
        template="template0",
        **AS_POSTGRES,
    )


def _database() -> None:
    data = host.data
    secrets = deploy_secrets(data.secrets_file)
    name = data.database_name
    quoted = identifier(name)  # refuses anything but a plain name before it reaches SQL
    for group in GROUP_ROLES:
        postgres.role(name=f"Create the group role {group}", role=group, login=False, **AS_POSTGRES)
    logins = (
        (data.postgres_owner_login, secrets.postgres_owner_password, [OWNER_ROLE]),
        (
            data.postgres_app_login,
            secrets.postgres_app_password,
            [APP_ROLE, READONLY_ROLE, MONITOR_ROLE],
        ),
        (data.postgres_readonly_login, secrets.postgres_readonly_password, [READONLY_ROLE]),
    )
    for login, password, groups in logins:
        login_role(
            name=f"Login role {login} in {', '.join(groups)}, password from secrets",
            role=login,
            password=password.get_secret_value(),
            member_of=groups,
            script_dir=data.vedb_etc,
        )
    if data.nocodb:
        _nocodb_database(secrets)
    postgres.database(
        name=f"Create the database {name}, owned by {data.postgres_owner_login}",
        database=name,
        owner=data.postgres_owner_login,
        encoding="UTF8",
        template="template0",
        lc_collate="C.UTF-8",
        lc_ctype="C.UTF-8",
        **AS_POSTGRES,
    )
    sql_unless(
        name=f"Grant pg_monitor to {MONITOR_ROLE} (statistics for the health checks)",
        database=name,
        satisfied=f"SELECT pg_has_role('{MONITOR_ROLE}', 'pg_monitor', 'MEMBER')",
        statement=f"GRANT pg_monitor TO {MONITOR_ROLE}",
        **AS_POSTGRES,
    )
    if data.monitoring:
        _exporter_login()
    sql_unless(
        name="Create the pg_stat_statements extension (preloaded; this makes its view readable)",
        database=name,
        satisfied="SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_stat_statements')",
        statement="CREATE EXTENSION pg_stat_statements",
        **AS_POSTGRES,
    )
    setting = f"vedb.environment={data.database_environment}"
    sql_unless(
        name=f"Mark the database as {data.database_environment} (read by `vedb seed`)",
        database=name,
        satisfied=(  # name has passed identifier() above
            "SELECT EXISTS (SELECT FROM pg_db_role_setting s JOIN pg_database d "  # noqa: S608
            f"ON d.oid = s.setdatabase WHERE d.datname = '{name}' AND s.setrole = 0 "
            f"AND '{setting}' = ANY (s.setconfig))"
        ),
        statement=(f"ALTER DATABASE {quoted} SET vedb.environment = '{data.database_environment}'"),
        **AS_POSTGRES,
    )


def _exporter_login() -> None:
    """The postgres exporter's login: the prometheus OS account by peer on the local socket
    (pg_hba.conf), so no password exists; vedb_monitor's statistics and nothing else."""
    postgres.role(
        name=f"Create the login {EXPORTER_LOGIN} (the postgres exporter, peer only)",
        role=EXPORTER_LOGIN,
        login=True,
        **AS_POSTGRES,
    )
    sql_unless(
        name=f"Grant {MONITOR_ROLE} to {EXPORTER_LOGIN}",
        database=host.data.database_name,
        satisfied=f"SELECT pg_has_role('{EXPORTER_LOGIN}', '{MONITOR_ROLE}', 'MEMBER')",
        statement=f"GRANT {MONITOR_ROLE} TO {EXPORTER_LOGIN}",
        **AS_POSTGRES,
    )


def _migrate() -> None:
    data = host.data
    secrets = deploy_secrets(data.secrets_file)
    env_file = f"{data.vedb_etc}/migrate.env"
    files.file(  # earlier deploys kept it; the password now stays on the host only while used
        name="Remove a migration env file an earlier deploy left", path=env_file, present=False
    )
    url = (
        f"postgresql://{data.postgres_owner_login}@127.0.0.1:{data.postgres_port}/"
        f"{data.database_name}"
    )
    yoyo_apply(
        name="Apply the pending migrations with yoyo",
        migration_ids=[m.id for m in read_migrations(str(REPO_ROOT / "migrations"))],
        database=data.database_name,
        command=(
            f"set -a && . {env_file} && set +a && {data.vedb_root}/venv/bin/yoyo apply "
            f"--batch --no-config-file --database {url} {data.vedb_root}/migrations"
        ),
        env_file=env_file,
        env_text=render(
            "vedb-migrate.env.j2", password=secrets.postgres_owner_password.get_secret_value()
        ),
        _temp_dir=data.vedb_etc,  # never /tmp: the upload passes through here
    )


@deploy("Database and migrations")
def _database_and_migrations() -> None:
    _database()
    _migrate()


@deploy("PostgreSQL")
def postgres_server() -> None:
    distro = host.get_fact(LinuxDistribution)
    major = postgres_major(distro["name"], distro["major"], host.data.postgres_major)
    if is_cluster():
        # Patroni's task installs the member's certificate, which pgBackRest's server uses too.
        # pyinfra types every @deploy as returning one OperationMeta; this one returns a list.
        certificates = patroni_member(major=major)
        backup_config(major, certificates)  # type: ignore[arg-type]
        # Roles, databases and migrations are written once, on the leader; Patroni's
        # replication carries them to the replicas.
        _database_and_migrations(_if=is_leader)
        return
    _install(major)
    backup_config(major)
    _configure(major)
    _database_and_migrations()
