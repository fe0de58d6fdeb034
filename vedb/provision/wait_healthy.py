"""`python -m vedb.provision.wait_healthy URL SECONDS [CAFILE] [--unit UNIT]`: exit 0 once URL
answers 200 (an https URL's certificate checked against CAFILE).

Run on a host by the deploy after (re)starting a service; bounded by SECONDS. When it gives up
it prints the last answer or error and, with --unit, what systemd knows of the unit (its state,
restarts, last exit) and the tail of its journal, so the deploy's failure says why.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

from vedb.wait import wait_healthy

__all__ = ["main", "unit_report", "wait_healthy"]

JOURNAL_LINES = 25
# A unit's log should hold no secret, but the report goes into a deploy's output: mask what
# looks like one all the same (URL credentials, password=..., NocoDB's &p=...).
_SECRETS = (
    (re.compile(r"(://[^/\s:@]+:)[^@\s]+@"), r"\1***@"),
    (re.compile(r"(?i)\b(password|passwd|secret|token|[&?]p)=\S+"), r"\1=***"),
)


def mask(line: str) -> str:
    for pattern, replacement in _SECRETS:
        line = pattern.sub(replacement, line)
    return line


def _run(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({command[0]}: {exc})"
    return done.stdout.strip()


def unit_report(unit: str) -> str:
    state = _run(
        "systemctl", "show", unit, "--no-pager",
        "-p", "ActiveState,SubState,NRestarts,ExecMainStatus,ExecMainStartTimestamp",
    )  # fmt: skip
    journal = _run("journalctl", "-u", unit, "-n", str(JOURNAL_LINES), "--no-pager", "-o", "short")
    lines = [f"{unit}: {' '.join(state.split())}", f"its journal's last {JOURNAL_LINES} lines:"]
    lines += [f"  {mask(line)}" for line in journal.splitlines()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wait_healthy")
    parser.add_argument("url")
    parser.add_argument("seconds", type=float)
    parser.add_argument("cafile", nargs="?")
    parser.add_argument("--unit", help="the systemd unit serving URL, reported on failure")
    args = parser.parse_args(argv)
    problem = wait_healthy(args.url, args.seconds, interval=0.5, cafile=args.cafile)
    if problem is None:
        print(f"{args.url}: 200")
        return 0
    print(f"{args.url} not healthy after {args.seconds:g} s: {problem}", file=sys.stderr)
    if args.unit:
        print(unit_report(args.unit), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
