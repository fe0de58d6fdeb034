"""What a started server is, and the shared helpers to make one."""

from __future__ import annotations

import secrets
import socket
from dataclasses import asdict, dataclass
from typing import Any, Literal

from vedb.databases import redact

Kind = Literal["postgres", "redis"]
Source = Literal["external", "local", "docker"]


class StackError(RuntimeError):
    """A throwaway server could not be started or stopped; the message says what to do."""


@dataclass(frozen=True)
class Server:
    kind: Kind
    url: str
    source: Source
    workdir: str | None = None  # local: the temp dir that holds data, socket, logs and pid
    container_id: str | None = None  # docker: the container to remove

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Server:
        return cls(**data)

    def describe(self) -> str:
        where = {
            "external": "given by VEDB_TEST_*_URL",
            "local": f"local binaries in {self.workdir}",
            "docker": f"container {(self.container_id or '')[:12]}",
        }[self.source]
        # Masked: this line lands in CI logs and pasted output; `vedb stack env` has the URL.
        return f"{redact(self.url)}  ({where})"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now; callers retry if they lose the race."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_password() -> str:
    # URL-safe, so it needs no quoting inside postgresql:// and redis:// URLs.
    return secrets.token_urlsafe(18)
