"""One wait-until-healthy loop for every server this project starts: bounded, and it says why
it gave up (the last answer or error, or the server's exit)."""

from __future__ import annotations

import ssl
import subprocess
import time
import urllib.error
import urllib.request


def wait_healthy(
    url: str,
    seconds: float,
    interval: float = 0.2,
    process: subprocess.Popen[bytes] | None = None,
    cafile: str | None = None,
) -> str | None:
    """None once ``url`` answers 200 within ``seconds``; else the last answer or error. An
    https URL's certificate is checked against ``cafile`` when given."""
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    deadline = time.monotonic() + seconds
    last = "no attempt"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return f"the server exited with code {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310 -- http(s) URL
                if response.status == 200:
                    return None
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read(300).decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(interval)
    return last
