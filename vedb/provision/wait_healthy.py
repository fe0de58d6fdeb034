"""`python -m vedb.provision.wait_healthy URL SECONDS [CAFILE]`: exit 0 once URL answers 200
(an https URL's certificate checked against CAFILE).

Run on a host by the deploy after (re)starting the API; bounded by SECONDS, it prints the last
answer or error when it gives up, so the deploy's failure says why.
"""

from __future__ import annotations

import sys

from vedb.wait import wait_healthy

__all__ = ["main", "wait_healthy"]


def main(argv: list[str]) -> int:
    url, seconds = argv[0], float(argv[1])
    problem = wait_healthy(url, seconds, interval=0.5, cafile=argv[2] if len(argv) > 2 else None)
    if problem is None:
        print(f"{url}: 200")
        return 0
    print(f"{url} not healthy after {seconds:g} s: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
