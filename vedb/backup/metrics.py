"""The backups' age for Prometheus: pgBackRest's own record, as a node-exporter textfile.

`python -m vedb.backup.metrics --output FILE --max-age-hours H` reads `pgbackrest info` and
writes, atomically:

- ``vedb_backup_last_completed_timestamp_seconds``: when the newest backup (of any type) stopped,
  0 when the repository has none, so that BackupTooOld fires then too;
- ``vedb_backup_max_age_seconds``: how old the newest may get under the schedule;
- ``vedb_backup_metrics_written_timestamp_seconds``: when this ran, so a dead timer shows too.

The vedb-backup-metrics timer runs it as postgres, on the host that holds the repository. The
BackupTooOld and BackupMetricsMissing alerts (monitoring/alerts.yml) read these.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from vedb.backup.pgbackrest import KINDS, PGBACKREST, STANZA


class MetricsError(RuntimeError):
    """pgBackRest's record could not be read; the message says why."""


def last_completed(info: list[dict[str, Any]]) -> dict[str, int]:
    """The newest stop time of each backup type in ``pgbackrest --output=json info``."""
    newest: dict[str, int] = {}
    for stanza in info:
        for backup in stanza.get("backup", []):
            kind, stop = backup.get("type"), backup.get("timestamp", {}).get("stop")
            if kind in KINDS and isinstance(stop, int):
                newest[kind] = max(stop, newest.get(kind, 0))
    return newest


def textfile(newest: dict[str, int], max_age_s: int, now: float) -> str:
    lines = [
        "# HELP vedb_backup_last_completed_timestamp_seconds When the newest backup completed "
        "(pgBackRest's record; 0: none).",
        "# TYPE vedb_backup_last_completed_timestamp_seconds gauge",
        f"vedb_backup_last_completed_timestamp_seconds {max(newest.values(), default=0)}",
        "# HELP vedb_backup_max_age_seconds How old the newest backup may be under the schedule.",
        "# TYPE vedb_backup_max_age_seconds gauge",
        f"vedb_backup_max_age_seconds {max_age_s}",
        "# HELP vedb_backup_metrics_written_timestamp_seconds When this record was read.",
        "# TYPE vedb_backup_metrics_written_timestamp_seconds gauge",
        f"vedb_backup_metrics_written_timestamp_seconds {int(now)}",
    ]
    return "\n".join(lines) + "\n"


def read_info(stanza: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [PGBACKREST, f"--stanza={stanza}", "--output=json", "info"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise MetricsError(f"pgbackrest info failed ({result.returncode}): {result.stderr.strip()}")
    try:
        info = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise MetricsError(f"pgbackrest info printed no JSON: {exc}") from exc
    if not isinstance(info, list):
        raise MetricsError("pgbackrest info printed something other than a list of stanzas")
    return info


def write_atomically(path: Path, text: str) -> None:
    """node-exporter never reads half a file: a temporary one is renamed over it."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.chmod(partial, 0o644)  # the exporter runs as another user; the unit's umask is 077
    partial.replace(path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m vedb.backup.metrics", description=__doc__)
    parser.add_argument("--output", type=Path, required=True, help="the .prom file to write")
    parser.add_argument("--max-age-hours", type=float, required=True)
    parser.add_argument("--stanza", default=STANZA)
    options = parser.parse_args(argv)
    if options.max_age_hours <= 0:
        parser.error(f"--max-age-hours must be positive, not {options.max_age_hours}")
    try:
        newest = last_completed(read_info(options.stanza))
    except MetricsError as exc:
        # No file update: BackupMetricsMissing fires once the last one is an hour old.
        print(f"vedb.backup.metrics: {exc}", file=sys.stderr)
        return 1
    text = textfile(newest, int(options.max_age_hours * 3600), time.time())
    write_atomically(options.output, text)
    kinds = ", ".join(f"{k} {time.strftime('%F %T', time.gmtime(s))}Z" for k, s in newest.items())
    print(f"newest backups: {kinds or 'none'}; wrote {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
