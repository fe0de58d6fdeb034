"""Create and drop whole databases on a server, e.g. one fresh database per test module."""

from __future__ import annotations

import re
import urllib.parse
import uuid

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def with_database(url: str, dbname: str) -> str:
    """The same server URL, pointing at another database."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(dbname)))


def redact(url: str) -> str:
    """The URL (or key=value conninfo) with its password masked, for messages and logs."""
    if "://" not in url:
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError:
            return "(an unreadable conninfo)"
        if "password" not in params:
            return url
        params["password"] = "***"  # noqa: S105 -- the mask, not a password
        return make_conninfo(**params)  # type: ignore[arg-type]
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def database_name(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/")) or "postgres"


def create_database(server_url: str, prefix: str = "vedb_test", template: str | None = None) -> str:
    """Creates a database with a unique name, empty or a copy of ``template``; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if not _SAFE_NAME.match(name):
        raise ValueError(f"bad database name {name!r}: use lowercase letters, digits and _")
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        # FILE_COPY: copy the files after a checkpoint, rather than write the copy to the WAL.
        create += sql.SQL(" TEMPLATE {} STRATEGY = FILE_COPY").format(sql.Identifier(template))
    with psycopg.connect(with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(create)
    return with_database(server_url, name)


def drop_database(database_url: str) -> None:
    name = database_name(database_url)
    with psycopg.connect(with_database(database_url, "postgres"), autocommit=True) as conn:
        # FORCE: a test that failed mid-way may still hold connections.
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))
