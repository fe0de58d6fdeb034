"""The deployed host, judged by the tools people trust: testssl.sh from outside on 443, lynis
inside the guest, and certbot obtaining and renewing the served certificate from an ACME CA
(pebble) beside it. Runs after test_deploy.py (file order), on the same host. The ACME test
replaces the certificate the other tests pin, so it puts the self-signed pair back when it ends.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy.acme import pebble
from tests.deploy.conftest import Deployment, DeployRun
from tests.deploy.test_deploy import PINNED

pytestmark = pytest.mark.deploy
LYNIS_MINIMUM = 80
PROTOCOLS = {"SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"}
DOMAIN = "vps.vedb.test"
RELOAD_BOUND_S = 30


def run_testssl(address: str, out: Path) -> list[dict[str, str]]:
    """testssl.sh's protocol and per-protocol cipher checks, as its JSON findings."""
    result = subprocess.run(
        ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--fast", "--ip", "one",
         "--protocols", "--cipher-per-proto", "--jsonfile", str(out), f"{address}:443"],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert out.exists(), result.stdout[-3000:] + result.stderr[-2000:]
    findings: list[dict[str, str]] = json.loads(out.read_text())
    return findings


def test_tls_offers_only_tls_1_2_and_1_3_with_aead_suites(
    first_run: DeployRun, deployment: Deployment, tmp_path: Path
) -> None:
    findings = run_testssl(deployment.host.address, tmp_path / "testssl.json")
    offered = {
        f["id"] for f in findings if f["id"] in PROTOCOLS and f["finding"].startswith("offered")
    }
    ciphers = [f["finding"] for f in findings if f["id"].startswith("cipher-")]
    print(f"\ntestssl.sh: protocols offered {sorted(offered)}; {len(ciphers)} suites:")
    print("\n".join(f"  {c}" for c in ciphers))
    assert offered == {"TLS1_2", "TLS1_3"}
    assert ciphers, "testssl.sh listed no suite"
    # Every suite is AEAD: GCM, CHACHA20-POLY1305 (or CCM); none in CBC mode (each finding
    # carries the IANA name too, e.g. TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256).
    assert [c for c in ciphers if not re.search(r"GCM|POLY1305|CCM", c)] == []
    assert [c for c in ciphers if "CBC" in c] == []


def test_lynis_rates_the_host_80_or_more(first_run: DeployRun, deployment: Deployment) -> None:
    host = deployment.host
    host.ssh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q lynis >/dev/null", timeout=600)
    host.ssh("lynis audit system --quick --no-colors >/dev/null 2>&1", timeout=900)
    report = host.ssh("cat /var/log/lynis-report.dat")
    index = int(re.search(r"^hardening_index=(\d+)$", report, flags=re.M)[1])  # type: ignore[index]
    warnings = re.findall(r"^warning\[\]=(.*)$", report, flags=re.M)
    suggestions = re.findall(r"^suggestion\[\]=(.*)$", report, flags=re.M)
    print(f"\nlynis hardening index {index}; {len(warnings)} warning(s):")
    print("\n".join(f"  {w}" for w in warnings))
    print(f"{len(suggestions)} suggestion(s):")
    print("\n".join(f"  {s}" for s in suggestions))
    assert index >= LYNIS_MINIMUM


def test_no_compiler_stays_and_fail2ban_watches_ssh(
    first_run: DeployRun, deployment: Deployment
) -> None:
    host = deployment.host
    # NocoDB's sqlite3 was built on this host during the first deploy; its toolchain is gone.
    found = host.ssh("for tool in cc gcc g++ as ld make; do command -v $tool; done; true")
    assert found.split() == []
    assert (
        host.ssh("dpkg-query -W -f='${db:Status-Abbrev}' build-essential 2>/dev/null; true")[:2]
        != "ii"
    )
    jail = host.ssh("fail2ban-client status sshd")
    print(f"\n{jail.strip()}")
    assert "Currently banned" in jail
    assert host.ssh("systemctl is-active fail2ban").strip() == "active"


def verified(address: str, server_name: str, root_pem: str) -> dict[str, object]:
    """A TLS connection that trusts only ``root_pem`` and checks the name; its peer's details."""
    context = ssl.create_default_context(cadata=root_pem)
    with (
        socket.create_connection((address, 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        return dict(tls.getpeercert() or {})


def test_certbot_obtains_and_renews_the_certificate_from_acme(
    first_run: DeployRun, deployment: Deployment, tmp_path: Path
) -> None:
    try:
        obtain_and_renew(deployment, tmp_path)
    finally:
        # Back to the self-signed pair that test_monitoring.py and the others pin by address.
        deployment.host.ssh("rm -f /etc/vedb/tls/cert.pem /etc/vedb/tls/key.pem")
        PINNED.pop(deployment.host.address, None)
        restored = deployment.run()
        assert restored.returncode == 0, restored.output[-6000:]


def obtain_and_renew(deployment: Deployment, tmp_path: Path) -> None:
    host = deployment.host
    with pebble(tmp_path / "acme") as acme:
        data = {
            "tls_domain": DOMAIN,
            "tls_acme_email": "ops@vedb.test",
            "tls_acme_server": acme.directory,
            "tls_acme_ca_file": str(acme.ca_file),
        }
        run = deployment.run(**data)
        assert run.returncode == 0, run.output[-6000:]
        root = acme.root()
        issued = verified(host.address, DOMAIN, root)
        print(
            f"\nserved after the deploy: {issued['subjectAltName']}, serial {issued['serialNumber']}"
        )
        assert ("DNS", DOMAIN) in issued["subjectAltName"]  # type: ignore[operator]
        assert deployment.run(**data).changed() == []

        # A renewal, as certbot.timer runs it (with the drop-in's CA), forced because the new
        # certificate is not due: the deploy hook puts the new pair in place and reloads nginx.
        host.ssh("systemctl cat certbot.service | grep -q REQUESTS_CA_BUNDLE")
        host.ssh(
            "REQUESTS_CA_BUNDLE=/etc/vedb/acme-ca.pem certbot renew --force-renewal --quiet"
            " --no-random-sleep-on-renew",
            timeout=300,
        )
        # `systemctl reload nginx` returns once nginx has the signal; its old workers serve new
        # connections with the old pair until the new workers run (seconds on a busy machine).
        renewed, deadline = issued, time.monotonic() + RELOAD_BOUND_S
        while renewed["serialNumber"] == issued["serialNumber"] and time.monotonic() < deadline:
            time.sleep(0.5)
            renewed = verified(host.address, DOMAIN, root)
        print(f"served after a renewal: serial {renewed['serialNumber']}")
        assert renewed["serialNumber"] != issued["serialNumber"]
        assert host.ssh("systemctl is-enabled certbot.timer").strip() == "enabled"
        assert host.ssh("stat -c %a /etc/vedb/tls/key.pem").strip() == "600"
