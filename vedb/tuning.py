"""PostgreSQL settings for a host, after PGTune's formulas (pgtune.leopard.in.ua).

Pure and typed: the template only interpolates what this returns, and every setting carries
its formula, the stock default and whether changing it needs a restart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Profile = Literal["web", "oltp", "dw", "mixed", "desktop"]
Disk = Literal["hdd", "ssd", "nvme"]
PROFILES: tuple[Profile, ...] = ("web", "oltp", "dw", "mixed", "desktop")
DISKS: tuple[Disk, ...] = ("hdd", "ssd", "nvme")

KB_PER_MB = 1024
KB_PER_GB = 1024 * 1024
DEFAULT_CONNECTIONS = {"web": 200, "oltp": 300, "dw": 40, "mixed": 100, "desktop": 20}
WAL_SIZES_MB = {
    "web": (1024, 4096),
    "oltp": (2048, 8192),
    "dw": (4096, 16384),
    "mixed": (1024, 4096),
    "desktop": (100, 2048),
}
WORK_MEM_DIVISOR = {"web": 1, "oltp": 1, "dw": 2, "mixed": 2, "desktop": 6}
RANDOM_PAGE_COST = {"hdd": "4", "ssd": "1.1", "nvme": "1.1"}
# PGTune: hdd 2, ssd 200 (and 300 for SAN); NVMe queues run deeper still.
IO_CONCURRENCY = {"hdd": "2", "ssd": "200", "nvme": "300"}


@dataclass(frozen=True)
class Setting:
    name: str
    value: str
    formula: str
    default: str
    restart: bool  # True: only a restart applies it; False: a reload does


def memory(kb: int) -> str:
    """PostgreSQL's own units, as PGTune prints them: whole GB, else whole MB, else kB."""
    if kb % KB_PER_GB == 0:
        return f"{kb // KB_PER_GB}GB"
    if kb % KB_PER_MB == 0:
        return f"{kb // KB_PER_MB}MB"
    return f"{kb}kB"


def postgres_settings(
    memory_mb: int,
    cpus: int,
    disk: Disk,
    profile: Profile,
    pg_major: int,
    max_connections: int | None = None,
) -> dict[str, Setting]:
    """The tuned settings, in postgresql.conf.sample's order."""
    if memory_mb < 256 or cpus < 1 or pg_major < 13:
        raise ValueError(f"unsupported host: {memory_mb} MB, {cpus} CPUs, PostgreSQL {pg_major}")
    ram = memory_mb * KB_PER_MB
    connections = max_connections or DEFAULT_CONNECTIONS[profile]
    shared = ram // 16 if profile == "desktop" else ram // 4
    cache = ram // 4 if profile == "desktop" else ram * 3 // 4
    maintenance = min(ram // 8 if profile == "dw" else ram // 16, 2 * KB_PER_GB)
    wal_buffers = min(max(shared * 3 // 100, 32), 16 * KB_PER_MB)
    if 14 * KB_PER_MB < wal_buffers < 16 * KB_PER_MB:
        wal_buffers = 16 * KB_PER_MB  # PGTune rounds a near-16MB value up
    parallel = cpus >= 4
    workers = cpus if parallel else 8  # 8: PostgreSQL's default max_worker_processes
    per_gather = min(math.ceil(cpus / 2), 4 if profile != "dw" else cpus) if parallel else 1
    work_mem = (ram - shared) // ((connections + workers) * 3) // per_gather
    work_mem = max(work_mem // WORK_MEM_DIVISOR[profile], 64)
    min_wal, max_wal = WAL_SIZES_MB[profile]

    s = [
        Setting("max_connections", str(connections), f"{profile} profile" if max_connections is None
                else "host data", "100", True),
        Setting("shared_buffers", memory(shared), "RAM/16" if profile == "desktop" else "RAM/4",
                "128MB", True),
        Setting("huge_pages", "try" if memory_mb >= 32 * 1024 else "off", "try from 32GB RAM",
                "try", True),
        Setting("work_mem", memory(work_mem),
                f"(RAM-shared_buffers)/((connections+{workers} workers)*3)/{per_gather} per gather"
                f"/{WORK_MEM_DIVISOR[profile]} ({profile})", "4MB", False),
        Setting("maintenance_work_mem", memory(maintenance),
                ("RAM/8" if profile == "dw" else "RAM/16") + ", at most 2GB", "64MB", False),
        Setting("effective_io_concurrency", IO_CONCURRENCY[disk], f"{disk} disk", "1", False),
    ]  # fmt: skip
    if parallel:
        s += _parallel_settings(cpus, per_gather, profile)
    s += [
        Setting("wal_compression", "zstd" if pg_major >= 15 else "on",
                "zstd from PostgreSQL 15, else on", "off", False),
        Setting("wal_buffers", memory(wal_buffers), "3% of shared_buffers, at most 16MB", "-1",
                True),
        Setting("checkpoint_completion_target", "0.9", "PGTune", "0.9", False),
        Setting("max_wal_size", memory(max_wal * KB_PER_MB), f"{profile} profile", "1GB", False),
        Setting("min_wal_size", memory(min_wal * KB_PER_MB), f"{profile} profile", "80MB", False),
        Setting("random_page_cost", RANDOM_PAGE_COST[disk], f"{disk} disk", "4", False),
        Setting("effective_cache_size", memory(cache),
                "RAM/4" if profile == "desktop" else "3*RAM/4", "4GB", False),
        Setting("jit", "on" if profile == "dw" else "off",
                "pays off only for long analytic queries", "on", False),
        Setting("default_statistics_target", "500" if profile == "dw" else "100",
                f"{profile} profile", "100", False),
    ]  # fmt: skip
    return {setting.name: setting for setting in s}


def _parallel_settings(cpus: int, per_gather: int, profile: Profile) -> list[Setting]:
    """Only from 4 CPUs: below that, PostgreSQL's defaults are already right."""
    return [
        Setting("max_worker_processes", str(cpus), "CPUs", "8", True),
        Setting("max_parallel_workers_per_gather", str(per_gather),
                "CPUs/2" + ("" if profile == "dw" else ", at most 4"), "2", False),
        Setting("max_parallel_maintenance_workers", str(min(math.ceil(cpus / 2), 4)),
                "CPUs/2, at most 4", "2", False),
        Setting("max_parallel_workers", str(cpus), "CPUs", "8", False),
    ]  # fmt: skip
