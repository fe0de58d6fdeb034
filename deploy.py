"""`pyinfra inventory.py deploy.py`: routes each host, by its groups, to the tasks it needs.

Every host: the base, a default-deny firewall, hardening (sshd with keys only, fail2ban,
upgrades, sysctls, ...), and last AIDE's record of the files the deploy put in place.
db: PostgreSQL, tuned and migrated, with pgBackRest backups; cache: Redis; api: the analytics
API and NocoDB on loopback behind an nginx TLS proxy. db, api and backup hosts also get the
release (the wheel in a venv, queries/ and migrations/).

Two or more db hosts make a cluster: etcd on the etcd hosts, Patroni on the db hosts, the
pgBackRest repository on the backup host, and HAProxy on the api hosts (docs/deploy.md).

Monitoring (monitoring = True, the default): exporters on every host, and Prometheus with
Alertmanager on the monitor host, by default the first api host (docs/monitoring.md).
"""

from pyinfra.api.operation import OperationMeta
from pyinfra.context import host

from tasks.api import api_service, refresh_timer
from tasks.backup import backups, repository
from tasks.base import base
from tasks.cluster import cluster_barrier, is_cluster
from tasks.etcd import etcd_member
from tasks.exporters import backup_metrics, exporters, holds_backups
from tasks.firewall import firewall
from tasks.hardening import file_integrity, hardening
from tasks.monitor import monitor_server
from tasks.nocodb import nocodb
from tasks.postgres import postgres_server
from tasks.proxy import tls_proxy
from tasks.redis import redis_server
from tasks.release import release
from tasks.routing import cluster_routing

base()
firewall()
hardening()
if "etcd" in host.groups:
    etcd_member()
release_changes: list[OperationMeta] = []
if {"db", "api", "backup"} & set(host.groups):
    # pyinfra types every @deploy as returning one OperationMeta; ours returns a list of them.
    release_changes = release()  # type: ignore[assignment]
if "db" in host.groups:
    postgres_server()
    backups()
if is_cluster():
    cluster_barrier()  # every cluster host, here: api and backup hosts wait for the database
if "backup" in host.groups:
    repository()
if "cache" in host.groups:
    redis_server()
if "api" in host.groups:
    if is_cluster():
        cluster_routing()
    api_service(release_changes=release_changes)
    if host.data.nocodb:
        nocodb()
    tls_proxy()
    refresh_timer()
if host.data.monitoring:
    exporters()
    if holds_backups():
        backup_metrics()
    if "monitor" in host.groups:
        monitor_server()
if host.data.file_integrity:
    file_integrity()
