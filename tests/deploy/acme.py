"""A private ACME CA beside the test host: Debian's pebble, with pebble-challtestsrv as its DNS
(every name resolves to the guest), both on the gateway's address of the test network only.

pebble checks HTTP-01 for real: it fetches the token from the guest's port 80, so a certificate
issues only if the deploy's nginx serves certbot's webroot. Its own HTTPS uses a CA made here,
which the deploy hands to certbot (tls_acme_ca_file).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.testhost import ADDRESS, GATEWAY, run

DIRECTORY_PORT, MANAGEMENT_PORT, DNS_PORT, DNS_MANAGEMENT_PORT = 14000, 15000, 8053, 8055
START_TIMEOUT_S = 30


@dataclass
class Acme:
    directory: str  # the ACME directory URL certbot is given
    ca_file: Path  # the CA of pebble's own HTTPS
    workdir: Path

    def _get(self, path: str) -> str:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        url = f"https://{GATEWAY}:{MANAGEMENT_PORT}{path}"
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            return str(response.read().decode())

    def root(self) -> str:
        """The root that signs what pebble issues (made anew at each start)."""
        return self._get("/roots/0")

    def intermediate(self) -> str:
        return self._get("/intermediates/0")


def _tls_pair(workdir: Path) -> Path:
    """A CA, and a certificate for pebble's listener signed by it; returns the CA's file."""
    ca_key, ca = workdir / "ca.key", workdir / "ca.pem"
    key, csr, cert = workdir / "pebble.key", workdir / "pebble.csr", workdir / "pebble.pem"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-days", "2", "-subj", "/CN=vedb test ACME CA",
        "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    run("openssl", "req", *ec, "-subj", f"/CN={GATEWAY}", "-keyout", str(key), "-out", str(csr))
    extensions = workdir / "ext.cnf"
    extensions.write_text(f"subjectAltName=IP:{GATEWAY}\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(cert))  # fmt: skip
    return ca


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.name} exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection((GATEWAY, port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {GATEWAY}:{port} after {START_TIMEOUT_S} s")


@contextlib.contextmanager
def pebble(workdir: Path) -> Iterator[Acme]:
    """pebble and its DNS, started on the gateway's address; both stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    ca = _tls_pair(workdir)
    config = workdir / "pebble-config.json"
    config.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"{GATEWAY}:{DIRECTORY_PORT}",
                    "managementListenAddress": f"{GATEWAY}:{MANAGEMENT_PORT}",
                    "certificate": str(workdir / "pebble.pem"),
                    "privateKey": str(workdir / "pebble.key"),
                    "httpPort": 80,
                    "tlsPort": 443,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    dns_log, acme_log = workdir / "challtestsrv.log", workdir / "pebble.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with dns_log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        "pebble-challtestsrv",
                        "-defaultIPv4",
                        ADDRESS,
                        "-defaultIPv6",
                        "",
                        "-dns01",
                        f"{GATEWAY}:{DNS_PORT}",
                        "-management",
                        f"{GATEWAY}:{DNS_MANAGEMENT_PORT}",
                        "-http01",
                        "",
                        "-https01",
                        "",
                        "-tlsalpn01",
                        "",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_for_port(DNS_MANAGEMENT_PORT, processes[0], dns_log)
        # No pause before validating, and no nonce refused on purpose: the test is the deploy's
        # certbot against real HTTP-01 validation, not pebble's chaos settings.
        env = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PATH": "/usr/bin:/bin"}
        with acme_log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    ["pebble", "-config", str(config), "-dnsserver", f"{GATEWAY}:{DNS_PORT}"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            )
        _wait_for_port(DIRECTORY_PORT, processes[1], acme_log)
        yield Acme(f"https://{GATEWAY}:{DIRECTORY_PORT}/dir", ca, workdir)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
