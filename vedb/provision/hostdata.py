"""Values the tasks derive from host facts and data: computed here, in Python, not in templates."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from urllib.parse import quote

from vedb.provision.secrets import DeploySecrets, load_secrets
from vedb.settings import REPO_ROOT

# The PostgreSQL major each supported distribution ships as `postgresql`.
DISTRO_POSTGRES = {("Debian", 12): 15, ("Debian", 13): 17, ("Ubuntu", 22): 14, ("Ubuntu", 24): 16}


def postgres_major(distro: str | None, distro_major: int | None, configured: int | None) -> int:
    """The configured major, else the distribution's own; an unknown distribution must say."""
    if configured is not None:
        return int(configured)
    try:
        return DISTRO_POSTGRES[(str(distro), int(distro_major or 0))]
    except KeyError:
        raise ValueError(
            f"no known PostgreSQL for {distro} {distro_major}: set postgres_major "
            "(and postgres_pgdg = True) in the host data"
        ) from None


def pgdg_source(codename: str, keyring: str) -> str:
    """The apt line of apt.postgresql.org for a release codename (bookworm, noble, ...)."""
    return (
        f"deb [signed-by={keyring}] https://apt.postgresql.org/pub/repos/apt {codename}-pgdg main"
    )


# A DNS name an ACME CA can issue for over HTTP-01: labels of letters, digits and inner dashes,
# at least one dot; no IP address, no wildcard (certbot 2.1 in Debian 12 takes neither).
DNS_NAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]"
)


def acme_domain(domain: str | None, email: str | None) -> str | None:
    """The name certbot asks a certificate for, or None when ACME is off (both unset). Half a
    setting, or a name no ACME CA issues for over HTTP-01, is an error that says which."""
    if not domain and not email:
        return None
    if not domain or not email:
        missing = "tls_acme_email" if domain else "tls_domain"
        raise ValueError(f"ACME needs both tls_domain and tls_acme_email: set {missing} too")
    name = domain.strip().lower().rstrip(".")
    if not DNS_NAME.fullmatch(name):
        raise ValueError(
            f"tls_domain = {domain!r} is not a DNS name an ACME CA can validate over HTTP-01 "
            "(a name like api.example.org: no IP address, no wildcard)"
        )
    if "@" not in email.strip("@"):
        raise ValueError(f"tls_acme_email = {email!r} is not an e-mail address")
    return name


def redis_maxmemory_mb(memory_mb: int, fraction: float) -> int:
    if not 0 < fraction <= 1:
        raise ValueError(f"redis_maxmemory_fraction {fraction!r}: use a share of RAM in (0, 1]")
    return max(int(memory_mb * fraction), 16)


def database_url(login: str, password: str, host: str, port: int, database: str) -> str:
    return f"postgresql://{login}:{quote(password, safe='')}@{host}:{port}/{database}"


def redis_url(password: str, host: str, port: int) -> str:
    return f"redis://:{quote(password, safe='')}@{host}:{port}/0"


def tokens_json(secrets: DeploySecrets) -> str:
    return json.dumps(secrets.api_tokens, separators=(",", ":"), sort_keys=True)


def secrets_path(configured: str | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """VEDB_SECRETS_FILE, else the group data's secrets_file (relative to the repository)."""
    environ = os.environ if environ is None else environ
    value = environ.get("VEDB_SECRETS_FILE") or configured
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


@cache
def _secrets(path: Path | None) -> DeploySecrets:
    return load_secrets(path)


def deploy_secrets(configured: str | None) -> DeploySecrets:
    """The host's secrets, read once per file per deploy; SecretsError names what is wrong."""
    return _secrets(secrets_path(configured))
