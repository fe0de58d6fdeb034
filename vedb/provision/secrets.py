"""Deploy secrets: from the environment (VEDB_SECRET_*) or an untracked 0600 TOML file.

The repository never holds them. `vedb secrets new PATH` writes a fresh file of random values;
the inventory names the file (VEDB_SECRETS_FILE, or group data `secrets_file`).
"""

from __future__ import annotations

import os
import re
import secrets as random
import stat
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from vedb.access import SCOPES

# Passwords land in libpq URLs, redis.conf and systemd env files: refusing quotes, spaces and
# backslashes keeps every one of those unambiguous without per-format escaping.
UNSAFE_CHARACTERS = set(" \t\n\"'\\`$")


class SecretsError(ValueError):
    """A secrets file or variable that cannot be used; the message names it."""


class DeploySecrets(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEDB_SECRET_", extra="forbid")

    postgres_owner_password: SecretStr = Field(description="login that owns the schema, migrates")
    postgres_app_password: SecretStr = Field(description="login of the API (read and ingest)")
    postgres_readonly_password: SecretStr = Field(description="login for NocoDB and analysts")
    redis_password: SecretStr
    api_tokens: dict[str, list[str]] = Field(description="token -> scopes, for the API")
    # NocoDB (api hosts with nocodb = True): its metadata database's login, the signing key of
    # its sessions, and the super admin's password (NocoDB wants upper, lower, digit, symbol).
    nocodb_db_password: SecretStr | None = None
    nocodb_jwt_secret: SecretStr | None = None
    nocodb_admin_password: SecretStr | None = None
    # A cluster (2+ db hosts): the logins Patroni makes for streaming replication and for
    # pg_rewind, the password of Patroni's REST API for changes (switchover, restart), and the
    # seed every cluster certificate is derived from (vedb/provision/cluster_tls.py).
    postgres_replication_password: SecretStr | None = None
    postgres_rewind_password: SecretStr | None = None
    patroni_rest_password: SecretStr | None = None
    cluster_tls_seed: SecretStr | None = None
    # Alertmanager's receiver (group_data/monitor.py): a webhook URL that carries a token, and
    # the email relay's password.
    alert_webhook_url: SecretStr | None = None
    alert_smtp_password: SecretStr | None = None
    # The proxy's TLS pair, PEM. Without them the deploy makes a self-signed one on the host.
    tls_certificate: SecretStr | None = None
    tls_private_key: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # VEDB_SECRET_* variables win over the file's values (passed as init arguments).
        return env_settings, init_settings

    @field_validator(
        "postgres_owner_password",
        "postgres_app_password",
        "postgres_readonly_password",
        "redis_password",
        "nocodb_db_password",
        "nocodb_jwt_secret",
        "nocodb_admin_password",
        "postgres_replication_password",
        "postgres_rewind_password",
        "patroni_rest_password",
        "cluster_tls_seed",
    )
    @classmethod
    def strong_and_plain(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value()
        if len(text) < 16:
            raise ValueError("must be at least 16 characters")
        if UNSAFE_CHARACTERS & set(text):
            raise ValueError("must not contain spaces, quotes, backslashes, backticks or $")
        return value

    @field_validator("api_tokens")
    @classmethod
    def known_scopes(cls, tokens: dict[str, list[str]]) -> dict[str, list[str]]:
        for token, scopes in tokens.items():
            if len(token) < 24 or UNSAFE_CHARACTERS & set(token):
                raise ValueError("each token needs 24+ characters, no spaces, quotes or $")
            if unknown := set(scopes) - set(SCOPES):
                raise ValueError(f"unknown scope(s) {sorted(unknown)}; use {', '.join(SCOPES)}")
        return tokens


def _file_values(path: Path) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SecretsError(
            f"secrets file {path} does not exist: create one with `vedb secrets new {path}`"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretsError(f"secrets file {path} is readable by others: chmod 600 {path}")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SecretsError(f"secrets file {path} is not valid TOML: {exc}") from exc


def load_secrets(path: Path | None) -> DeploySecrets:
    """VEDB_SECRET_* variables override the file's values; either may be absent."""
    file_values = _file_values(path) if path is not None else {}
    try:
        return DeploySecrets(**file_values)
    except ValidationError as exc:
        where = f"{path} or VEDB_SECRET_*" if path else "VEDB_SECRET_* (no secrets file named)"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SecretsError(f"bad deploy secrets in {where}: {problems}") from None


TOKEN_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
OPERATOR = {"operator": SCOPES}  # without --token: one token with every scope


def parse_token_specs(specs: list[str]) -> dict[str, tuple[str, ...]]:
    """``["dashboard=read", "etl=ingest,read"]`` -> {name: scopes}; a bad one raises
    SecretsError naming it."""
    tokens: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        name, _, scopes_text = spec.partition("=")
        scopes = tuple(s.strip() for s in scopes_text.split(",") if s.strip())
        if not TOKEN_NAME.match(name) or not scopes:
            raise SecretsError(
                f"bad --token {spec!r}: want NAME=SCOPE[,SCOPE], e.g. dashboard=read"
            )
        if unknown := sorted(set(scopes) - set(SCOPES)):
            raise SecretsError(
                f"bad --token {spec!r}: unknown scope(s) {unknown}; use {', '.join(SCOPES)}"
            )
        if name in tokens:
            raise SecretsError(f"bad --token {spec!r}: {name} is named twice")
        tokens[name] = scopes
    return tokens


def new_secrets_toml(tokens: dict[str, tuple[str, ...]] | None = None) -> str:
    """A complete secrets file of fresh random values, and one API token per client: each
    named in a comment, with only its scopes."""
    lines = ["# V-EdFinance deploy secrets. Keep this file out of git, mode 0600.", ""]
    for name in (
        "postgres_owner_password",
        "postgres_app_password",
        "postgres_readonly_password",
        "redis_password",
        "nocodb_db_password",
        "nocodb_jwt_secret",
        "postgres_replication_password",
        "postgres_rewind_password",
        "patroni_rest_password",
        "cluster_tls_seed",
    ):
        lines.append(f'{name} = "{random.token_urlsafe(24)}"')
    lines.append(f'nocodb_admin_password = "{random.token_urlsafe(24)}-Nc9"')
    lines += ["", "# One token per client, with the fewest scopes it needs.", "[api_tokens]"]
    for name, scopes in (tokens or OPERATOR).items():
        listed = ", ".join(f'"{scope}"' for scope in scopes)
        lines += [f"# {name}", f'"{random.token_urlsafe(32)}" = [{listed}]']
    return "\n".join(lines) + "\n"


CLUSTER_SECRETS = (
    "postgres_replication_password",
    "postgres_rewind_password",
    "patroni_rest_password",
    "cluster_tls_seed",
)


def cluster_secrets(secrets: DeploySecrets) -> dict[str, str]:
    """The values a cluster needs; a secrets file made before clusters existed lacks them."""
    values = {name: getattr(secrets, name) for name in CLUSTER_SECRETS}
    if missing := [name for name, value in values.items() if value is None]:
        raise SecretsError(
            f"a cluster (2+ db hosts) needs {', '.join(missing)} in the deploy secrets: add "
            "each as a random value of 24+ characters (`vedb secrets new` writes them all)"
        )
    return {name: value.get_secret_value() for name, value in values.items()}


def write_new_secrets(path: Path, tokens: dict[str, tuple[str, ...]] | None = None) -> None:
    """Creates ``path`` as 0600 with fresh values; never overwrites an existing file."""
    text = new_secrets_toml(tokens)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
