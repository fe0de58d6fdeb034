"""nginx: TLS in front of the API. The certificate comes from ACME (certbot, with tls_domain
and tls_acme_email), from the secrets, or else is a self-signed pair made once on the host
(docs/deploy.md says how to pin it)."""

import ipaddress
import shlex
from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.files import File
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from tasks.base import secret_file
from tasks.cluster import address
from tasks.exporters import monitors, patroni_metrics
from vedb.provision.hostdata import acme_domain, deploy_secrets
from vedb.templates import render

TLS_DIR = "/etc/vedb/tls"
CERTIFICATE, PRIVATE_KEY = f"{TLS_DIR}/cert.pem", f"{TLS_DIR}/key.pem"
SITE = "/etc/nginx/sites-available/vedb"
ACME_WEBROOT = "/var/lib/vedb-acme"
ACME_HOOK = "/etc/vedb/acme-deploy-hook"
ACME_CA = "/etc/vedb/acme-ca.pem"
# certbot runs this after every issuance and renewal: the new pair replaces the served one
# (root-only, 0600), and nginx reloads only if its configuration still checks out.
ACME_HOOK_SCRIPT = f"""#!/bin/sh
# managed by pyinfra (tasks/proxy.py): certbot's deploy hook for the served certificate.
set -eu
install -m 600 -o root -g root "$RENEWED_LINEAGE/fullchain.pem" {CERTIFICATE}.new
install -m 600 -o root -g root "$RENEWED_LINEAGE/privkey.pem" {PRIVATE_KEY}.new
mv {CERTIFICATE}.new {CERTIFICATE}
mv {PRIVATE_KEY}.new {PRIVATE_KEY}
nginx -t -q && systemctl reload nginx
"""


def _subject_alt_name(name: str) -> str:
    try:
        return f"IP:{ipaddress.ip_address(name)}"
    except ValueError:
        return f"DNS:{name}"


def _certificate() -> list[OperationMeta]:
    """Puts the pair in place; returns the operations that may change it."""
    data = host.data
    secrets = deploy_secrets(data.secrets_file)
    files.directory(
        name=f"Create {TLS_DIR} (root only)", path=TLS_DIR, user="root", group="root", mode="700"
    )
    acme = acme_domain(data.tls_domain, data.tls_acme_email) is not None
    if not acme and secrets.tls_certificate is not None and secrets.tls_private_key is not None:
        pem = (secrets.tls_certificate, secrets.tls_private_key)
        return [
            secret_file(f"Install the TLS {what} from secrets", value.get_secret_value(), dest)
            for what, value, dest in zip(
                ("certificate", "private key"), pem, (CERTIFICATE, PRIVATE_KEY), strict=True
            )
        ]
    # With ACME, this pair only lets nginx start and answer the first HTTP-01 challenge.
    name = data.tls_domain or data.tls_server_name or host.name
    made = server.shell(
        name=f"Make a self-signed certificate for {name} (once)",
        commands=[
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
            f" -days {data.tls_self_signed_days} -subj /CN={name}"
            f" -addext subjectAltName={_subject_alt_name(name)}"
            f" -keyout {PRIVATE_KEY} -out {CERTIFICATE} 2>/dev/null",
            f"chmod 600 {PRIVATE_KEY} {CERTIFICATE}",
        ],
        _if=lambda: host.get_fact(File, path=CERTIFICATE) is None,
    )
    return [made]


def _acme(domain: str) -> None:
    """certbot obtains the certificate once (its timer renews it), through the webroot that
    nginx serves on port 80, then its deploy hook puts the pair in place."""
    data = host.data
    apt.packages(
        name="Install certbot (its timer renews certificates)",
        packages=["certbot"],
        cache_time=data.apt_cache_seconds,
    )
    files.directory(name=f"Create {ACME_WEBROOT}", path=ACME_WEBROOT, mode="755")
    files.put(
        name="Install certbot's deploy hook (new pair into place, reload nginx)",
        src=StringIO(ACME_HOOK_SCRIPT),
        dest=ACME_HOOK,
        user="root",
        group="root",
        mode="700",
    )
    env = ""
    if data.tls_acme_ca_file:
        files.put(
            name="Install the ACME server's CA for certbot",
            src=data.tls_acme_ca_file,
            dest=ACME_CA,
            mode="644",
        )
        drop_in = files.put(
            name="certbot's renewals trust that CA too",
            src=StringIO(f"[Service]\nEnvironment=REQUESTS_CA_BUNDLE={ACME_CA}\n"),
            dest="/etc/systemd/system/certbot.service.d/vedb.conf",
            mode="644",
        )
        systemd.daemon_reload(name="Reload systemd for certbot's drop-in", _if=drop_in.did_change)
        env = f"REQUESTS_CA_BUNDLE={ACME_CA} "
    server_url = str(data.tls_acme_server)
    server.shell(
        name=f"Obtain the certificate for {domain} from ACME (once; certbot.timer renews it)",
        commands=[
            f"{env}certbot certonly --non-interactive --agree-tos --quiet"
            f" --email {shlex.quote(data.tls_acme_email)} --server {shlex.quote(server_url)}"
            f" --webroot -w {ACME_WEBROOT} -d {domain} --cert-name {domain}"
            f" --deploy-hook {ACME_HOOK}"
        ],
        _if=lambda: (
            host.get_fact(File, path=f"/etc/letsencrypt/live/{domain}/fullchain.pem") is None
        ),
    )


def _monitoring() -> dict[str, object]:
    """The monitor's UIs on this host (Prometheus, Alertmanager), and the API's /metrics for a
    monitor elsewhere, on this host's private address."""
    data = host.data
    if not data.monitoring:
        return {"monitor": None, "metrics_listen": None, "patroni_metrics": None}
    here = "monitor" in host.groups
    others = [address(m) for m in monitors() if m.name != host.name]
    return {
        "monitor": (
            {"prometheus_port": data.prometheus_port, "alertmanager_port": data.alertmanager_port}
            if here
            else None
        ),
        "patroni_metrics": patroni_metrics() if here else None,
        "metrics_listen": (
            {
                "address": address(host),
                "port": monitors()[0].data.api_metrics_port,
                "allowed": others,
            }
            if others
            else None
        ),
    }


@deploy("TLS proxy")
def tls_proxy() -> None:
    data = host.data
    apt.packages(
        name="Install nginx",
        packages=["nginx", "openssl"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
    acme = acme_domain(data.tls_domain, data.tls_acme_email)
    certificate = _certificate()
    site = files.put(
        name="Render the nginx site: TLS, redirect, headers, limits",
        src=StringIO(
            render(
                "nginx-vedb.conf.j2",
                api_port=data.api_port,
                certificate=CERTIFICATE,
                private_key=PRIVATE_KEY,
                rate_per_second=data.proxy_rate_per_second,
                rate_burst=data.proxy_rate_burst,
                max_body=data.proxy_max_body,
                nocodb_port=data.nocodb_port if data.nocodb else None,
                acme_webroot=ACME_WEBROOT if acme else None,
                **_monitoring(),
            )
        ),
        dest=SITE,
        user="root",
        group="root",
        mode="644",
    )
    # Debian's nginx.conf still allows TLS 1.0 and 1.1 in its http block (lynis HTTP-6710);
    # the site overrides it, and this makes every other server block safe too.
    defaults = files.line(
        name="nginx.conf: TLS 1.2 and 1.3 only, for every server",
        path="/etc/nginx/nginx.conf",
        line=r"^\s*ssl_protocols .*;.*$",
        replace="\tssl_protocols TLSv1.2 TLSv1.3; # managed by pyinfra (tasks/proxy.py)",
    )
    enabled = files.link(name="Enable the site", path="/etc/nginx/sites-enabled/vedb", target=SITE)
    default = files.link(
        name="Disable the distribution's default site",
        path="/etc/nginx/sites-enabled/default",
        present=False,
    )
    systemd.service(
        name="Keep nginx running and enabled at boot", service="nginx", running=True, enabled=True
    )
    # `nginx -t` first: a broken file never replaces the running configuration.
    server.shell(
        name="Check the configuration, then reload nginx",
        commands=["nginx -t -q", "systemctl reload nginx"],
        _if=any_changed(*certificate, site, defaults, enabled, default),
    )
    if acme:
        _acme(acme)
