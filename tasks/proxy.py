"""nginx: TLS in front of the API. A certificate and key from the secrets, or else a
self-signed pair made once on the host (docs/deploy.md says how to pin it)."""

import ipaddress
from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.files import File
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from tasks.base import secret_file
from vedb.provision.hostdata import deploy_secrets
from vedb.templates import render

TLS_DIR = "/etc/vedb/tls"
CERTIFICATE, PRIVATE_KEY = f"{TLS_DIR}/cert.pem", f"{TLS_DIR}/key.pem"
SITE = "/etc/nginx/sites-available/vedb"


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
    if secrets.tls_certificate is not None and secrets.tls_private_key is not None:
        pem = (secrets.tls_certificate, secrets.tls_private_key)
        return [
            secret_file(f"Install the TLS {what} from secrets", value.get_secret_value(), dest)
            for what, value, dest in zip(
                ("certificate", "private key"), pem, (CERTIFICATE, PRIVATE_KEY), strict=True
            )
        ]
    name = data.tls_server_name or host.name
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


@deploy("TLS proxy")
def tls_proxy() -> None:
    data = host.data
    apt.packages(
        name="Install nginx",
        packages=["nginx", "openssl"],
        update=True,
        cache_time=data.apt_cache_seconds,
    )
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
            )
        ),
        dest=SITE,
        user="root",
        group="root",
        mode="644",
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
        _if=any_changed(*certificate, site, enabled, default),
    )
