"""The NocoDB settings client's one retry: a source POST refused while NocoDB is still busy
with the base's previous source. The peer is a small HTTP server that answers as NocoDB 0.301
did on a busy first deploy (its refusal's text copied from that log)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from vedb.provision import nocodb

BUSY_BODY = {"msg": "Another source creation is in progress for this base."}


class Peer:
    """Signs in, then answers the source POSTs from a script of (status, body)."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers, self.posts = answers, 0
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/api/v1/auth/user/signin":
                    status, body = 200, {"token": "t"}
                else:
                    peer.posts += 1
                    status, body = peer.answers.pop(0) if peer.answers else (200, {"id": "s"})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self) -> nocodb.NocoDB:
        port = self.server.server_address[1]
        env = {"PORT": str(port), "NC_ADMIN_EMAIL": "a@example.com", "NC_ADMIN_PASSWORD": "x"}
        return nocodb.NocoDB(env)


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(nocodb, "BACKOFF_S", (0.01,))
    yield


@contextmanager
def peer(answers: list[tuple[int, dict[str, Any]]]) -> Iterator[Peer]:
    running = Peer(answers)
    yield running
    running.server.shutdown()


def test_a_busy_refusal_is_retried_until_nocodb_takes_the_source(fast: None) -> None:
    with peer([(400, BUSY_BODY), (400, BUSY_BODY)]) as running:
        running.client()._add_source("b1", {"alias": "social"})
        assert running.posts == 3


def test_any_other_refusal_fails_at_once_with_nocodbs_answer(fast: None) -> None:
    with peer([(400, {"msg": "Invalid connection"})]) as running:
        with pytest.raises(nocodb.NocoDBError, match=r"400.*Invalid connection"):
            running.client()._add_source("b1", {"alias": "social"})
        assert running.posts == 1


def test_a_source_still_refused_at_the_bound_says_so(
    fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nocodb, "SYNC_TIMEOUT_S", 0.2)
    with peer([(400, BUSY_BODY)] * 1000) as running:
        with pytest.raises(nocodb.NocoDBError, match=r"still busy .* after 0.2 s, \d+ attempts"):
            running.client()._add_source("b1", {"alias": "social"})
        assert 2 <= running.posts < 1000
