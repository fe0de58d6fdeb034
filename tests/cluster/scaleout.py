"""locust run distributed, as docs/performance.md documents it: a headless master and two
worker processes, the dashboard's personas (students, teachers, dashboards; no writer) against
the cluster's API. Bounded: the master stops itself after `seconds`, and every process is
killed at the bound's end if it has not.
"""

from __future__ import annotations

import csv
import socket
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from vedb.settings import REPO_ROOT

LOCUSTFILE = REPO_ROOT / "locustfiles" / "analytics.py"
READERS = ("Student", "Teacher", "Dashboard")
WORKERS = 2


@dataclass
class Reads:
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _aggregated(stats_csv: Path) -> Reads:
    with stats_csv.open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return Reads(
        int(row["Request Count"]),
        int(row["Failure Count"]),
        float(row["50%"]),
        float(row["95%"]),
    )


def distributed_reads(
    base_url: str, token: str, results: Path, *, seconds: int = 30, users: int = 20
) -> Reads:
    """The aggregated answer of a master and ``WORKERS`` workers reading for ``seconds``."""
    locust = str(Path(REPO_ROOT, ".venv", "bin", "locust"))
    port = _free_port()
    common = [locust, "-f", str(LOCUSTFILE), "--host", base_url, f"--token={token}"]
    master = [
        *common, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
        "--expect-workers", str(WORKERS), "--headless", "-u", str(users), "-r", str(users),
        "-t", f"{seconds}s", "--csv", str(results), "--only-summary",
        # The gate's cache targets mean nothing with the cache off; its summary is still printed.
        "--min-hit-rate", "0",
        # Under saturating ingest on 2 cores, with five guests, a worker can miss several
        # heartbeats; at locust's 3 s the master stopped the test with no read made.
        "--worker-liveness-s", "30", *READERS,
    ]  # fmt: skip
    worker = [*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    log = results.with_suffix(".log").open("w")
    with ExitStack() as stack:
        stack.callback(log.close)
        processes = [subprocess.Popen(master, stdout=log, stderr=subprocess.STDOUT)]
        processes += [
            subprocess.Popen([*worker, *READERS], stdout=log, stderr=subprocess.STDOUT)
            for _ in range(WORKERS)
        ]
        for process in processes:
            stack.callback(process.kill)
        try:
            processes[0].wait(timeout=seconds + 90)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"locust's master ran past its bound: {results}.log") from exc
        for process in processes[1:]:
            try:
                process.wait(timeout=30)  # the master tells its workers to quit
            except subprocess.TimeoutExpired:
                process.kill()
    return _aggregated(Path(f"{results}_stats.csv"))
