"""`vedb bench insights`: how long /insights takes to be complete in headless Chromium, warm.

Chromium is driven over its DevTools protocol (one tab, reloaded run after run), because its
--dump-dom runs on virtual time, which stops while requests are pending. The page writes the
time since its navigation began into `data-complete-ms` once every panel has drawn or said
why not: the figure covers the HTML, the scripts, every API call and the drawing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websockets

STARTUP_S = 30.0
PAGE_BOUND_S = 30.0


class InsightsBenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class PageTimes:
    warmup_ms: float  # the first load, which fills the cache
    runs_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)


class DevTools:
    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        number = next(self.ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.socket.send(json.dumps(message))
        while True:  # events arrive in between; only our answer matters
            answer = json.loads(await self.socket.recv())
            if answer.get("id") == number:
                if "error" in answer:
                    raise InsightsBenchError(f"{method}: {answer['error']}")
                return answer.get("result", {})


def _devtools_address(profile: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + STARTUP_S
    active = profile / "DevToolsActivePort"  # "port\n/devtools/browser/<id>"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InsightsBenchError(f"chromium exited with {process.returncode}")
        if active.exists() and len(lines := active.read_text().split()) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    raise InsightsBenchError(f"chromium opened no DevTools port within {STARTUP_S:.0f} s")


async def _complete_ms(tools: DevTools, session: str, url: str) -> float:
    await tools.call("Page.navigate", session, url=url)
    deadline = time.monotonic() + PAGE_BOUND_S
    probe = (
        "document.body && document.body.dataset.state === 'complete'"
        " ? document.body.dataset.completeMs : null"
    )
    while time.monotonic() < deadline:
        found = await tools.call("Runtime.evaluate", session, expression=probe)
        value = found.get("result", {}).get("value")
        if value is not None:
            return float(value)
        await asyncio.sleep(0.02)
    raise InsightsBenchError(f"{url} was not complete within {PAGE_BOUND_S:.0f} s")


async def _measure(address: str, base: str, token: str, runs: int) -> PageTimes:
    async with websockets.connect(address, max_size=None) as socket:
        tools = DevTools(socket)
        target = await tools.call("Target.createTarget", url="about:blank")
        attached = await tools.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        session = attached["sessionId"]
        # The fragment hands the page its token (kept in the tab's sessionStorage); the runs
        # then load /insights itself, each a full navigation.
        warmup = await _complete_ms(tools, session, f"{base}/insights#token={token}")
        times = [await _complete_ms(tools, session, f"{base}/insights") for _ in range(runs)]
        return PageTimes(warmup, times)


def page_times(chromium: str, base: str, token: str, runs: int) -> PageTimes:
    # A helper that outlives the group can still be writing the profile as it goes.
    with tempfile.TemporaryDirectory(
        prefix="vedb-bench-insights-", ignore_cleanup_errors=True
    ) as scratch:
        profile = Path(scratch)
        process = subprocess.Popen(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                "--remote-debugging-port=0", "--window-size=1400,2200", "about:blank",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its renderers and helpers stop with it, below
        )  # fmt: skip
        try:
            return asyncio.run(_measure(_devtools_address(profile, process), base, token, runs))
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
