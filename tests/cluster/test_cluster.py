"""End to end: `pyinfra inventory.py deploy.py` turns five bare Debian 12 hosts into one
Patroni cluster (3 db hosts, each an etcd member), an api host and a backup host; then the
leader's guest loses power under steady ingest and reads, and a switchover follows.

The tests run in file order. Each figure the issue names is printed on a line of its own, in
the form `NAME: N UNIT`, for a script to read. Correctness is asserted (nothing acknowledged
is lost, no read fails, the old primary rejoins); the timings are reported, with only a loose
bound asserted, because this machine's timings are noisy.
"""

from __future__ import annotations

import json
import shlex
import ssl
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.cluster.conftest import ROLES, ClusterDeployment, report
from tests.cluster.scaleout import distributed_reads
from tests.cluster.traffic import Traffic
from tests.deploy.conftest import DeployRun
from tests.deploy.scan import open_ports_of
from tests.deploy.test_deploy import vedb
from vedb.backup.fingerprint import fingerprint

pytestmark = pytest.mark.deploy
DB = [name for name, roles in ROLES.items() if "db" in roles]
APP, BACKUP = "vedb-app", "vedb-bak"
PATRONICTL = "patronictl -c /etc/patroni/config.yml"
# Loose bounds a failing cluster would miss by far; the targets are in the printed report.
RECOVERY_BOUND_S = 120
REJOIN_BOUND_S = 240


def members(cluster: ClusterDeployment, down: set[str] | None = None) -> list[dict[str, Any]]:
    """`patronictl list` as JSON, asked on the first db host that is up."""
    for name in DB:
        if name in (down or set()):
            continue
        out = cluster.lab[name].guest.ssh(f"{PATRONICTL} list -f json", check=False, timeout=30)
        if out.strip().startswith("["):
            listed: list[dict[str, Any]] = json.loads(out)
            return listed
    raise AssertionError("no db host answers patronictl list")


def guest_of(cluster: ClusterDeployment, member: dict[str, Any]) -> str:
    return next(name for name in DB if cluster.address(name) == member["Host"].split(":")[0])


def leader(cluster: ClusterDeployment, down: set[str] | None = None) -> str:
    leaders = [m for m in members(cluster, down) if m["Role"] == "Leader"]
    assert len(leaders) == 1, leaders
    return guest_of(cluster, leaders[0])


def wait_for(what: str, bound_s: float, check: Any, since: float | None = None) -> float:
    """Seconds until ``check()`` is true, counted from ``since`` (a monotonic time; default
    now); fails naming ``what`` after ``bound_s``."""
    started = time.monotonic() if since is None else since
    last: Any = None
    while True:  # checked at least once, even when ``since`` is past the bound already
        try:
            last = check()
            if last:
                return time.monotonic() - started
        except (AssertionError, subprocess.TimeoutExpired) as exc:
            last = exc
        if time.monotonic() - started >= bound_s:
            raise AssertionError(f"{what} not within {bound_s} s: {last}")
        time.sleep(1)


def owner_url(cluster: ClusterDeployment, **extra: Any) -> str:
    return make_conninfo(
        host=",".join(cluster.address(n) for n in DB),
        dbname="vedb",
        user="vedb_migrator",
        password=cluster.secrets.postgres_owner_password.get_secret_value(),
        sslmode="require",
        target_session_attrs="read-write",
        connect_timeout=3,
        **extra,
    )


def app_sql(cluster: ClusterDeployment, which: str, statement: str) -> str:
    """A statement through the api host's HAProxy, as the API connects (its env file holds
    the URL, so no password reaches a command line)."""
    code = (
        "import os, psycopg; "
        f"c = psycopg.connect(os.environ['{which}']); "
        f"print(c.execute({statement!r}).fetchone()[0])"
    )
    return (
        cluster.lab[APP]
        .guest.ssh(
            "set -a && . /etc/vedb/api.env && set +a && "
            f"/opt/vedb/venv/bin/python -c {shlex.quote(code)}"
        )
        .strip()
    )


def test_first_deploy_makes_one_cluster(first_run: DeployRun, cluster: ClusterDeployment) -> None:
    listed = members(cluster)
    roles = sorted(m["Role"] for m in listed)
    assert roles == ["Leader", "Replica", "Sync Standby"], listed
    # Patroni 3.0.2 says "running" for a streaming replica too (3.0.4+ says "streaming").
    assert all(m["State"] in ("running", "streaming") for m in listed), listed
    assert all(m.get("Lag in MB", 0) == 0 for m in listed if m["Role"] != "Leader"), listed
    etcd = cluster.lab[DB[0]].guest.ssh(
        "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/tls/ca.crt"
        " --cert=/etc/etcd/tls/host.crt --key=/etc/etcd/tls/host.key member list -w json"
    )
    assert len(json.loads(etcd)["members"]) == 3
    for name in DB:
        config = cluster.lab[name].guest.ssh("cat /etc/patroni/config.yml")
        assert "rep-pass" not in config and "zookeeper" not in config
        assert cluster.lab[name].guest.ssh("test -e /etc/patroni/dcs.yml || echo gone") == "gone\n"
        assert "postgresql@" not in cluster.lab[name].guest.ssh(
            "systemctl list-units --no-legend 'postgresql@*'"
        )
    report(f"cluster first deploy: {first_run.seconds:.0f} s; members: {listed}")


def test_second_deploy_changes_nothing(first_run: DeployRun, cluster: ClusterDeployment) -> None:
    again = cluster.run()
    assert again.returncode == 0, again.output[-6000:]
    assert again.changed() == [], again.changed()


def test_the_monitor_scrapes_every_member_and_its_patroni(
    first_run: DeployRun, cluster: ClusterDeployment
) -> None:
    """Prometheus on the api guest (the monitor by default) reaches every guest's exporters on
    their private addresses, and each member's Patroni; the firewall lets only it in."""
    monitor = cluster.lab[APP].guest
    want = {"node": 5, "postgres": 3, "patroni": 3, "redis": 1, "api": 1}

    def up() -> dict[str, int]:
        answer = monitor.ssh(
            "curl -fsS --max-time 10 http://127.0.0.1:9090/prometheus/api/v1/targets"
        )
        counts: dict[str, int] = {}
        for target in json.loads(answer)["data"]["activeTargets"]:
            if target["health"] == "up":
                job = target["labels"]["job"]
                counts[job] = counts.get(job, 0) + 1
        return counts

    deadline = time.monotonic() + 120
    while (counts := up()) != {**counts, **want} and time.monotonic() < deadline:
        time.sleep(3)
    assert {job: counts.get(job, 0) for job in want} == want, counts
    leaders = monitor.ssh(
        "curl -fsS --max-time 10 -G http://127.0.0.1:9090/prometheus/api/v1/query "
        "--data-urlencode 'query=sum(patroni_primary)'"
    )
    assert json.loads(leaders)["data"]["result"][0]["value"][1] == "1"
    report(f"monitor: every target up ({counts})")


def test_writes_go_to_the_leader_and_reads_to_a_replica(
    first_run: DeployRun, cluster: ClusterDeployment
) -> None:
    assert app_sql(cluster, "VEDB_DATABASE_URL", "SELECT pg_is_in_recovery()") == "False"
    assert app_sql(cluster, "VEDB_READ_DATABASE_URL", "SELECT pg_is_in_recovery()") == "True"
    health = json.loads(cluster.lab[APP].guest.ssh("curl -s http://127.0.0.1:8000/api/health"))
    assert health["status"] == "ok" and health["migration_head"], health
    assert sorted(m["role"] for m in health["cluster"]) == ["leader", "replica", "sync_standby"]
    assert all(m["timeline"] >= 1 for m in health["cluster"]), health


@pytest.fixture(scope="module")
def seeded(first_run: DeployRun, cluster: ClusterDeployment) -> list[int]:
    done = vedb("seed", "--profile", "demo", VEDB_DATABASE_URL=owner_url(cluster), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with psycopg.connect(owner_url(cluster)) as conn:
        rows = conn.execute("SELECT id FROM learning.users ORDER BY id LIMIT 200").fetchall()
    return [row[0] for row in rows]


def traffic(cluster: ClusterDeployment, users: list[int], **rates: Any) -> Traffic:
    context = ssl.create_default_context(
        cadata=cluster.lab[APP].guest.ssh("cat /etc/vedb/tls/cert.pem")
    )
    context.check_hostname = False  # the self-signed pair names the host, not its address
    token = next(iter(cluster.secrets.api_tokens))  # the operator's: every scope
    return Traffic(f"https://{cluster.address(APP)}", context, token, token, users, **rates)


def acknowledged_lost(cluster: ClusterDeployment, load: Traffic) -> int:
    ids = load.acknowledged_ids()
    with psycopg.connect(owner_url(cluster)) as conn:
        found = conn.execute(
            "SELECT count(*) FROM analytics.behavior_log WHERE client_event_id = ANY(%s::uuid[])",
            [ids],
        ).fetchone()
    assert found is not None
    return len(ids) - int(found[0])


def restore_on_the_backup_host(cluster: ClusterDeployment, name: str, where: str) -> None:
    """Backup, then a point-in-time restore into a scratch cluster on the backup host: the
    restored tables equal the database at that moment, before rows were deleted."""
    inventory = {"VEDB_INVENTORY_FILE": str(cluster.inventory_file)}
    backup = vedb("backup", "--host", cluster.address(BACKUP), "--type", "full", **inventory)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    with psycopg.connect(owner_url(cluster), autocommit=True) as conn:
        wait_for(
            "the folder to drain the queue",
            60,
            lambda: conn.execute("SELECT count(*) FROM analytics.event_queue").fetchone() == (0,),
        )
        before = fingerprint(conn)
        time.sleep(1)
        moment = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        time.sleep(1)
        gone = conn.execute(f"DELETE FROM social.follows WHERE {where}").rowcount
    assert gone > 0
    restored = vedb(
        "restore", "--host", cluster.address(BACKUP), "--into", name, "--time",
        moment.isoformat(), "--json", timeout=900, **inventory,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stdout + restored.stderr
    tables = json.loads(restored.stdout)["tables"]
    assert {t: (v["rows"], v["checksum"]) for t, v in tables.items()} == {
        t: tuple(fp) for t, fp in before.items()
    }
    dropped = vedb("restore", "--host", cluster.address(BACKUP), "--drop", name, **inventory)
    assert dropped.returncode == 0, dropped.stderr


def test_point_in_time_restore_from_the_backup_host(
    cluster: ClusterDeployment, seeded: list[int]
) -> None:
    restore_on_the_backup_host(cluster, "pitr", "follower_id % 2 = 0")


def test_failover_when_the_leaders_guest_loses_power(
    cluster: ClusterDeployment, seeded: list[int]
) -> None:
    old = leader(cluster)
    load = traffic(cluster, seeded)
    load.start()
    try:
        time.sleep(10)  # steady state first
        assert not load.failed_reads() and all(a.ok for a in load.ingests), "before the cut"
        cut = cluster.lab.kill(old)
        wait_for("ingest accepted again", RECOVERY_BOUND_S, lambda: load.write_gap(cut))
        time.sleep(10)
    finally:
        load.stop()
    gap = load.write_gap(cut)
    lost = acknowledged_lost(cluster, load)
    failed = load.failed_reads(cut)
    new = leader(cluster, down={old})
    cluster.lab.start(old)  # before any assertion: the later tests need all three members
    rejoined = wait_for(
        f"{old} back as a streaming replica",
        REJOIN_BOUND_S,
        lambda: any(
            guest_of(cluster, m) == old
            and m["Role"] != "Leader"
            and m["State"] in ("running", "streaming")
            and isinstance(m.get("Lag in MB"), int)
            for m in members(cluster)
        ),
    )
    report(f"failover: {old} lost power; {new} leads")
    report(f"failover write gap: {gap:.1f} s")
    report(f"acknowledged events lost: {lost}")
    report(f"failed analytics reads: {len(failed)}")
    report(f"old primary rejoined as a replica: {rejoined:.0f} s after its boot")
    # Whether its timeline had diverged (WAL it wrote past the new leader's fork) decides if
    # Patroni needed pg_rewind, run as its own login; either way no hand step was needed.
    rewound = (
        cluster.lab[old]
        .guest.ssh(
            "journalctl -u patroni -b --no-pager | grep -c -i 'pg_rewind' || true", timeout=30
        )
        .strip()
    )
    report(f"old primary's journal lines naming pg_rewind since its boot: {rewound}")
    assert new != old
    assert lost == 0
    assert not failed, [a.detail for a in failed[:5]]


def test_switchover_under_traffic(cluster: ClusterDeployment, seeded: list[int]) -> None:
    wait_for(
        "a synchronous standby",
        60,
        lambda: any(m["Role"] == "Sync Standby" for m in members(cluster)),
    )
    old = leader(cluster)
    candidate = next(guest_of(cluster, m) for m in members(cluster) if m["Role"] == "Sync Standby")
    load = traffic(cluster, seeded)
    load.start()
    try:
        time.sleep(5)
        started = time.monotonic()
        cluster.lab[old].guest.ssh(
            f"{PATRONICTL} switchover --leader {cluster.address(old).replace('.', '-')} "
            f"--candidate {cluster.address(candidate).replace('.', '-')} --force"
        )
        wait_for("the candidate leads", 60, lambda: leader(cluster) == candidate)
        time.sleep(10)
    finally:
        load.stop()
    gap = load.write_gap(started)
    lost = acknowledged_lost(cluster, load)
    failed = load.failed_reads(started)
    report(f"switchover write gap: {gap:.1f} s")
    report(f"acknowledged events lost: {lost}")
    report(f"failed analytics reads: {len(failed)}")
    assert lost == 0
    assert not failed, [a.detail for a in failed[:5]]


def test_replica_lag_while_ingest_runs_at_5000_events_a_second(
    cluster: ClusterDeployment, seeded: list[int]
) -> None:
    primary = cluster.lab[leader(cluster)].guest
    load = traffic(cluster, seeded, batch_events=500, batches_per_s=10.0, reads_per_s=2.0)
    samples: list[float] = []
    load.start()
    try:
        time.sleep(5)
        for _ in range(60):  # about 30 s of samples
            out = primary.ssh(
                'runuser -u postgres -- psql -XAtqc "SELECT coalesce(max(extract(epoch FROM '
                'replay_lag)) * 1000, 0) FROM pg_stat_replication"',
                timeout=30,
            )
            samples.append(float(out.strip() or 0))
            time.sleep(0.5)
    finally:
        load.stop()
    accepted = sum(len(a.ids) for a in load.ingests if a.ok)
    seconds = load.ingests[-1].done - load.ingests[0].sent
    p99 = statistics.quantiles(samples, n=100)[98]
    report(f"ingest rate: {accepted / seconds:.0f} events/s")
    report(f"replica lag p99: {p99:.0f} ms")
    assert accepted > 0


def test_replicas_serve_the_dashboard_while_ingest_saturates_the_leader(
    cluster: ClusterDeployment, seeded: list[int], tmp_path: Path
) -> None:
    """locust, distributed, reads as the dashboard does: once with ingest off, once with
    ingest sent as fast as the leader takes it. Redis is stopped for both, so the API fails
    open and every read reaches PostgreSQL, where the replicas answer it."""
    app = cluster.lab[APP].guest
    base, token = f"https://{cluster.address(APP)}", next(iter(cluster.secrets.api_tokens))
    app.ssh("systemctl stop redis-server")
    try:
        quiet = distributed_reads(base, token, tmp_path / "ingest-off")
        load = traffic(
            cluster, seeded, batch_events=500, batches_per_s=100.0, reads_per_s=0, ingest_threads=3
        )
        load.start()
        try:
            time.sleep(5)
            busy = distributed_reads(base, token, tmp_path / "ingest-saturating")
        finally:
            load.stop()
    finally:
        app.ssh("systemctl start redis-server")
    accepted = sum(len(a.ids) for a in load.ingests if a.ok)
    seconds = load.ingests[-1].done - load.ingests[0].sent
    report(f"analytics p95, ingest off: {quiet.p95_ms:.0f} ms ({quiet.requests} reads)")
    report(f"analytics p95, ingest saturating: {busy.p95_ms:.0f} ms ({busy.requests} reads)")
    report(f"saturating ingest rate: {accepted / seconds:.0f} events/s")
    report(f"analytics p95 ratio, saturating / off: {busy.p95_ms / max(quiet.p95_ms, 1):.2f}")
    assert quiet.requests > 0 and busy.requests > 0
    assert quiet.failures == 0 and busy.failures == 0, (quiet, busy)
    assert accepted > 0


def test_reads_fall_back_to_the_leader_when_no_replica_qualifies(
    cluster: ClusterDeployment, seeded: list[int]
) -> None:
    """Both replicas stop (Patroni and their PostgreSQL): HAProxy's read port has no replica
    left, so it sends the reads to the leader; the API's reads keep being answered."""
    primary = leader(cluster)
    replicas = [name for name in DB if name != primary]
    load = traffic(cluster, seeded, batches_per_s=2.0, reads_per_s=5.0)
    load.start()
    try:
        time.sleep(3)
        stopped = time.monotonic()
        for name in replicas:
            cluster.lab[name].guest.ssh("systemctl stop patroni", timeout=120)
        fell_back = wait_for(
            "the read port to reach the leader",
            60,
            lambda: (
                app_sql(cluster, "VEDB_READ_DATABASE_URL", "SELECT pg_is_in_recovery()") == "False"
            ),
        )
        time.sleep(10)
        settled = time.monotonic()
        time.sleep(10)
    finally:
        load.stop()
        for name in replicas:
            cluster.lab[name].guest.ssh("systemctl start patroni", timeout=120)
    back = wait_for(
        "both replicas streaming again",
        REJOIN_BOUND_S,
        lambda: (
            sum(
                m["Role"] != "Leader" and m["State"] in ("running", "streaming")
                for m in members(cluster)
            )
            == len(replicas)
        ),
    )
    during = load.failed_reads(stopped)
    after = load.failed_reads(settled)
    answered = [a for a in load.reads if a.ok and a.sent >= settled]
    report(f"reads reached the leader {fell_back:.0f} s after both replicas stopped")
    report(f"failed analytics reads while the replicas went: {len(during)}")
    report(f"replicas streaming again {back:.0f} s after their start")
    assert answered and not after, [a.detail for a in after[:5]]


def test_point_in_time_restore_from_the_backup_host_after_the_failovers(
    cluster: ClusterDeployment, seeded: list[int]
) -> None:
    # Two failovers ago another member led: this restore replays WAL the new leaders archived.
    restore_on_the_backup_host(cluster, "after_failover", "follower_id % 3 = 1")


def test_no_password_in_a_journal_or_on_a_command_line(
    first_run: DeployRun, cluster: ClusterDeployment
) -> None:
    secrets = cluster.secrets
    values = [
        v.get_secret_value()
        for v in (
            secrets.postgres_owner_password,
            secrets.postgres_app_password,
            secrets.postgres_readonly_password,
            secrets.redis_password,
            secrets.postgres_replication_password,
            secrets.postgres_rewind_password,
            secrets.patroni_rest_password,
            secrets.cluster_tls_seed,
        )
        if v is not None
    ] + list(secrets.api_tokens)
    for name in ROLES:
        guest = cluster.lab[name].guest
        journal = guest.ssh("journalctl --no-pager -o cat", timeout=120)
        commands = guest.ssh("ps -eo args")
        for value in values:
            assert value not in journal, f"a secret in {name}'s journal"
            assert value not in commands, f"a secret on a command line on {name}"


EXPECTED_PORTS = {  # what each guest's roles need, from the test machine's address
    "db": {22, 5432},  # PostgreSQL: the operator's network (postgres_allowed_networks)
    "api": {22, 80, 443},
    "backup": {22},
}


def test_each_guest_opens_only_what_its_roles_need(
    first_run: DeployRun, cluster: ClusterDeployment
) -> None:
    found = open_ports_of([cluster.address(name) for name in ROLES])
    for name, roles in ROLES.items():
        want = set().union(*(EXPECTED_PORTS.get(role, set()) for role in roles))
        assert set(found[cluster.address(name)]) == want, (name, found)


def test_a_restore_works_with_every_db_hosts_disk_gone(cluster: ClusterDeployment) -> None:
    """Last: all three db guests lose power for good, and the backup host still restores.
    Meanwhile the monitor on the api guest sees a cluster with no leader, and alerts."""
    cut = min(cluster.lab.kill(name) for name in DB)
    # ClusterHasNoLeader: for 1 m, at the default 15 s scrapes (each dead target's scrape
    # also waits out its 10 s timeout); it inhibits ClusterMemberDown for the same cause.
    # Watched from the cut on, while the restore runs.
    watcher = ThreadPoolExecutor(max_workers=1)
    no_leader = watcher.submit(
        wait_for,
        "ClusterHasNoLeader firing in Alertmanager",
        RECOVERY_BOUND_S,
        lambda: bool(active_alerts(cluster, "ClusterHasNoLeader")),
        cut,
    )
    inventory = {"VEDB_INVENTORY_FILE": str(cluster.inventory_file)}
    restored = vedb(
        "restore", "--host", cluster.address(BACKUP), "--into", "disaster", "--json",
        timeout=900, **inventory,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stdout + restored.stderr
    tables = json.loads(restored.stdout)["tables"]
    assert tables["learning.users"]["rows"] > 0 and tables["analytics.behavior_log"]["rows"] > 0
    report(f"restored with no db host: {tables['analytics.behavior_log']['rows']} events")
    fired = no_leader.result(timeout=RECOVERY_BOUND_S + 60)
    watcher.shutdown()
    report(
        f"ClusterHasNoLeader firing in Alertmanager {fired:.0f} s after every db guest lost "
        "power (for 60 s + 2 scrape intervals of 15 s = 90 s, + the 10 s scrape timeout)"
    )


def active_alerts(cluster: ClusterDeployment, name: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:9093/alertmanager/api/v2/alerts?filter=alertname%3D%22{name}%22"
    answer = cluster.lab[APP].guest.ssh(f"curl -fsS --max-time 10 {shlex.quote(url)}")
    alerts: list[dict[str, Any]] = json.loads(answer)
    return [a for a in alerts if a["status"]["state"] == "active"]
