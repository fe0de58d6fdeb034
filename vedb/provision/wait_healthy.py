"""`python -m vedb.provision.wait_healthy URL SECONDS`: exit 0 once URL answers 200.

Run on a host by the deploy after (re)starting the API; bounded by SECONDS, it prints the last
answer or error when it gives up, so the deploy's failure says why.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def wait_healthy(url: str, seconds: float, interval: float = 0.5) -> str | None:
    """None once ``url`` answers 200 within ``seconds``; else the last answer or error."""
    deadline = time.monotonic() + seconds
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- http(s) URL
                if response.status == 200:
                    return None
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read(300).decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(interval)
    return last


def main(argv: list[str]) -> int:
    url, seconds = argv[0], float(argv[1])
    problem = wait_healthy(url, seconds)
    if problem is None:
        print(f"{url}: 200")
        return 0
    print(f"{url} not healthy after {seconds:g} s: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
