"""The tuning module against values a user can check on PGTune, and the rendered template.

Reference outputs are PGTune's (pgtune.leopard.in.ua) for the same inputs. work_mem follows the
formula the issue specifies, (RAM - shared_buffers) / ((connections + worker processes) * 3),
which counts the worker processes that older PGTune outputs leave out; it is checked by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vedb.pgconf import render_postgresql_conf
from vedb.stack import Stack
from vedb.stack.binaries import postgres_bin_dir, run_as
from vedb.tuning import memory, postgres_settings


def values(**host: object) -> dict[str, str]:
    return {name: s.value for name, s in postgres_settings(**host).items()}  # type: ignore[arg-type]


def test_web_4gb_2cpu_ssd_matches_pgtune() -> None:
    got = values(memory_mb=4096, cpus=2, disk="ssd", profile="web", pg_major=15)
    pgtune = {
        "max_connections": "200",
        "shared_buffers": "1GB",
        "effective_cache_size": "3GB",
        "maintenance_work_mem": "256MB",
        "checkpoint_completion_target": "0.9",
        "wal_buffers": "16MB",
        "default_statistics_target": "100",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "min_wal_size": "1GB",
        "max_wal_size": "4GB",
        "huge_pages": "off",
    }
    assert {k: got[k] for k in pgtune} == pgtune
    assert "max_worker_processes" not in got  # parallel settings from 4 CPUs on
    # (4GB - 1GB) / ((200 connections + 8 default workers) * 3) = 3145728 kB / 624 = 5041 kB
    assert got["work_mem"] == "5041kB"


def test_dw_128gb_40cpu_ssd_matches_pgtune() -> None:
    got = values(memory_mb=128 * 1024, cpus=40, disk="ssd", profile="dw", pg_major=15)
    pgtune = {
        "max_connections": "40",
        "shared_buffers": "32GB",
        "effective_cache_size": "96GB",
        "maintenance_work_mem": "2GB",
        "default_statistics_target": "500",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "huge_pages": "try",
        "min_wal_size": "4GB",
        "max_wal_size": "16GB",
        "max_worker_processes": "40",
        "max_parallel_workers_per_gather": "20",
        "max_parallel_workers": "40",
        "max_parallel_maintenance_workers": "4",
    }
    assert {k: got[k] for k in pgtune} == pgtune
    # 96GB / ((40 + 40) * 3) = 419430 kB, / 20 per gather = 20971, / 2 for dw = 10485
    assert got["work_mem"] == "10485kB"
    assert got["jit"] == "on"


def test_desktop_32gb_8cpu_hdd_matches_pgtune() -> None:
    got = values(
        memory_mb=32 * 1024, cpus=8, disk="hdd", profile="desktop", pg_major=13, max_connections=100
    )
    pgtune = {
        "max_connections": "100",
        "shared_buffers": "2GB",
        "effective_cache_size": "8GB",
        "maintenance_work_mem": "2GB",
        "wal_buffers": "16MB",
        "random_page_cost": "4",
        "effective_io_concurrency": "2",
        "min_wal_size": "100MB",
        "max_wal_size": "2GB",
        "max_worker_processes": "8",
        "max_parallel_workers_per_gather": "4",
        "max_parallel_workers": "8",
        "max_parallel_maintenance_workers": "4",
    }
    assert {k: got[k] for k in pgtune} == pgtune
    assert got["wal_compression"] == "on"  # zstd needs PostgreSQL 15


def test_small_wal_buffers_and_units() -> None:
    got = values(memory_mb=1024, cpus=1, disk="hdd", profile="oltp", pg_major=16)
    assert got["shared_buffers"] == "256MB" and got["wal_buffers"] == "7864kB"  # 3 % of 256MB
    assert (memory(1024), memory(1536), memory(3 * 1024 * 1024), memory(100)) == (
        "1MB",
        "1536kB",
        "3GB",
        "100kB",
    )


def test_unsupported_hosts_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported host"):
        postgres_settings(128, 2, "ssd", "web", 15)
    with pytest.raises(ValueError, match="PostgreSQL 12"):
        postgres_settings(4096, 2, "ssd", "web", 12)


def test_template_renders_every_setting_with_its_source() -> None:
    text = render_postgresql_conf(
        host="db1",
        memory_mb=8192,
        cpus=4,
        disk="nvme",
        profile="mixed",
        pg_major=16,
        listen_addresses="10.0.0.5",
    )
    assert text.startswith("# postgresql.conf for db1: managed by pyinfra")
    assert "listen_addresses = '10.0.0.5'" in text
    assert "shared_buffers = 2GB" in text and "# RAM/4 | default 128MB | restart" in text
    assert "max_parallel_workers_per_gather = 2" in text
    assert "shared_preload_libraries = 'pg_stat_statements,auto_explain'" in text
    for name in postgres_settings(8192, 4, "nvme", "mixed", 16):
        assert f"\n{name} = " in text, name


def test_vedb_tune_prints_the_config_and_names_bad_values() -> None:
    vedb = str(Path(sys.executable).parent / "vedb")
    ok = subprocess.run(
        [
            vedb,
            "tune",
            "--memory",
            "4GB",
            "--cpus",
            "2",
            "--profile",
            "web",
            "--disk",
            "ssd",
            "--pg",
            "15",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "shared_buffers = 1GB" in ok.stdout
    bad = subprocess.run(
        [vedb, "tune", "--memory", "lots", "--cpus", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and "--memory 'lots'" in bad.stderr
    disk = subprocess.run(
        [vedb, "tune", "--memory", "4GB", "--cpus", "2", "--disk", "floppy"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert disk.returncode == 1 and "--disk 'floppy'" in disk.stderr


def test_postgresql_accepts_the_rendered_file(stack: Stack) -> None:
    """`postgres -C` loads the file and prints the effective value: a real parse, no server."""
    if stack.postgres.source != "local" or postgres_bin_dir() is None:
        pytest.skip("needs the local PostgreSQL binaries and a local data directory")
    user = run_as()
    # In the server's own workdir: the account it runs as can read there.
    conf = Path(str(stack.postgres.workdir)) / "tuned-test.conf"
    conf.write_text(
        render_postgresql_conf(
            host="t", memory_mb=4096, cpus=4, disk="ssd", profile="web", pg_major=15
        )
    )
    conf.chmod(0o644)
    data = Path(str(stack.postgres.workdir)) / "data"
    shown = {}
    for name in ("shared_buffers", "work_mem", "wal_compression", "shared_preload_libraries"):
        result = subprocess.run(
            [
                str(postgres_bin_dir() / "postgres"),
                "-D",
                str(data),
                "-c",
                f"config_file={conf}",
                "-C",
                name,
            ],
            capture_output=True,
            text=True,
            check=False,
            **({"user": user.uid, "group": user.gid, "extra_groups": []} if user.switches else {}),
        )
        assert result.returncode == 0, result.stderr
        shown[name] = result.stdout.strip()
    # shared_buffers in 8kB pages: 1GB; work_mem in kB: 3GB / ((200 + 4) * 3) / 2 per gather
    assert shown == {
        "shared_buffers": "131072",
        "work_mem": "2570",
        "wal_compression": "zstd",
        "shared_preload_libraries": "pg_stat_statements,auto_explain",
    }
