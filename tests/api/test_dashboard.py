"""The database health for admins: the JSON endpoint, and the dashboard in headless Chromium."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.api.conftest import ADMIN, ANALYTICS, READ
from tests.api.test_served import serve
from tests.conftest import migrated_database
from vedb.dbhealth.report import CHECKS
from vedb.settings import REPO_ROOT
from vedb.stack import Stack
from vedb.stack.doctor import browser

CHROMIUM = browser()


async def test_db_health_answers_admins_only(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/admin/db-health", headers=ADMIN)
    assert answer.status_code == 200
    body = answer.json()
    assert list(body["checks"]) == [c.name for c in CHECKS]
    assert body["status"] in ("ok", "info", "warning")
    for other in (READ, ANALYTICS, {}):
        assert (await client.get("/api/admin/db-health", headers=other)).status_code in (401, 403)
    page = await client.get("/admin/db-health")  # the page itself holds no data
    assert page.status_code == 200 and "/api/admin/db-health" in page.text
    assert "http" not in page.text.split("<script>")[1]  # no CDN: nothing loaded from outside


def basic(token: str, user: str = "admin") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}


async def test_the_monitor_check_takes_an_admin_token_as_basic_auth_or_bearer(
    client: httpx.AsyncClient,
) -> None:
    admin = ADMIN["Authorization"].removeprefix("Bearer ")
    read = READ["Authorization"].removeprefix("Bearer ")
    for headers in (ADMIN, basic(admin), basic(admin, user="")):
        answer = await client.get("/api/admin/authorize", headers=headers)
        assert answer.status_code == 204, headers
        assert answer.headers["Cache-Control"] == "no-store"
    # No token, a garbled header or an unknown token: 401 with the challenge nginx passes on.
    for headers in ({}, {"Authorization": "Basic %%%"}, basic("nope-" * 6), basic(admin[:-1])):
        answer = await client.get("/api/admin/authorize", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["WWW-Authenticate"].startswith('Basic realm="V-EdFinance')
    answer = await client.get("/api/admin/authorize", headers=basic(read))
    assert answer.status_code == 403
    assert answer.json()["detail"] == "this token lacks the 'admin' scope"


@pytest.fixture(scope="module")
def served_with_a_finding(stack: Stack) -> Iterator[str]:
    for url in migrated_database(stack):
        with psycopg.connect(url, autocommit=True) as conn:
            # In a schema of ours: vedb_monitor, which the checks run as, may read its position.
            conn.execute("CREATE SEQUENCE learning.ticket_seq MAXVALUE 100")
            conn.execute("SELECT setval('learning.ticket_seq', 95)")
        yield from serve(url, stack.redis.url, tokens={"dash-s3cret": ["admin"]})


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # root in CI; the page is ours, served from loopback
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=8000",  # lets the page's fetch finish before the snapshot
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (`vedb stack doctor --install`)")
def test_the_dashboard_in_headless_chromium(served_with_a_finding: str, tmp_path: Path) -> None:
    url = f"{served_with_a_finding}/admin/db-health#token=dash-s3cret"
    dom = chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    cards = dict(
        (name, status)
        for status, name in re.findall(r'<section class="card (\w+)" id="check-(\w+)">', html)
    )
    assert list(cards) == [c.name for c in CHECKS]  # one card per check, in order
    assert cards["sequences"] == "warning" and cards["invalid_indexes"] == "ok"
    sequences = re.search(r"check-sequences.{0,600}", html)
    assert "learning.ticket_seq" in html and "94.9% of its range used" in html, (
        sequences and sequences.group(0)
    )
    assert "PostgreSQL 15" in html and '<span id="overall" class="badge warning">' in html
    assert "dash-s3cret" not in html  # the token is never written into the page

    shot = tmp_path / "db-health.png"
    taken = chromium(f"--screenshot={shot}", "--window-size=1280,1200", url)
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    # Kept for a person to look at: results/ is untracked.
    (REPO_ROOT / "results").mkdir(exist_ok=True)
    shutil.copy(shot, REPO_ROOT / "results" / "db-health.png")
