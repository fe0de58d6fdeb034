"""Loads queries/*.sql: a strict header, then one SQL statement with named :params.

    -- name: daily_active_users
    -- Distinct active students per UTC day over the last :days days.
    -- version: 1
    -- params: days int 1..365 = 30
    -- cache_ttl: 300
    -- reads: analytics.active_students_by_day

A parameter is ``NAME int[?] LOW..[HIGH] [= DEFAULT]``; ``int?`` may be NULL (its default).
Unknown keys, a missing version, and a :param the header does not declare are errors that
name the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

KEY = re.compile(r"^-- ([a-z_]+): (.*)$")
PARAM = re.compile(
    r"^(?P<name>[a-z_][a-z0-9_]*) (?P<type>int\??) (?P<low>-?\d+)\.\.(?P<high>-?\d+)?"
    r"(?: = (?P<default>-?\d+|null))?$"
)
PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")
TABLE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
BIGINT_MAX = 2**63 - 1  # every integer parameter binds as a PostgreSQL bigint
KEYS = {"name", "version", "params", "cache_ttl", "reads"}


class CatalogError(ValueError):
    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Param:
    name: str
    nullable: bool
    low: int
    high: int | None
    default: int | None
    required: bool  # no default, and NULL is not allowed

    def describe(self) -> str:
        bounds = f"{self.low}..{self.high if self.high is not None else ''}"
        return f"{self.name}: integer {bounds}" + (" or null" if self.nullable else "")


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    version: int
    params: tuple[Param, ...]
    cache_ttl: int
    reads: tuple[str, ...]  # schema.table: what a write must invalidate
    sql: str  # psycopg style: %(name)s placeholders, literal % doubled
    path: Path

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def parse_param(path: Path, line: int, text: str) -> Param:
    match = PARAM.match(text.strip())
    if match is None:
        raise CatalogError(
            path, line, f"bad parameter {text.strip()!r}: want 'name int LOW..HIGH [= DEFAULT]'"
        )
    nullable = match["type"] == "int?"
    default_text = match["default"]
    if default_text == "null" and not nullable:
        raise CatalogError(
            path, line, f"parameter {match['name']} is not nullable (int?) but defaults to null"
        )
    default = None if default_text in (None, "null") else int(default_text)
    return Param(
        name=match["name"],
        nullable=nullable,
        low=int(match["low"]),
        high=int(match["high"]) if match["high"] else None,
        default=default,
        required=default is None and not nullable,
    )


def parse_query(path: Path) -> Query:
    lines = path.read_text().splitlines()
    header: dict[str, tuple[int, str]] = {}
    description = ""
    body_start = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.startswith("--"):
            body_start = number - 1
            break
        match = KEY.match(line)
        if match and " " not in match[1]:
            key, value = match[1], match[2].strip()
            if key not in KEYS:
                raise CatalogError(
                    path, number, f"unknown header key {key!r} (known: {', '.join(sorted(KEYS))})"
                )
            header[key] = (number, value)
        elif number == 2:
            description = line.removeprefix("--").strip()
    for key in ("name", "version", "cache_ttl", "reads"):
        if key not in header:
            raise CatalogError(path, 1, f"header has no '-- {key}:' line")
    name_line, name = header["name"]
    if name != path.stem:
        raise CatalogError(
            path, name_line, f"name {name!r} differs from the file name {path.stem!r}"
        )
    if not description:
        raise CatalogError(path, 2, "line 2 must be a one-line description")
    version, ttl = (_positive(path, *header[k], k) for k in ("version", "cache_ttl"))
    params: tuple[Param, ...] = ()
    if "params" in header:
        params_line, text = header["params"]
        params = tuple(parse_param(path, params_line, p) for p in text.split(","))
    reads = _tables(path, *header["reads"])
    body = "\n".join(lines[body_start:]).strip().rstrip(";")
    sql = _to_psycopg(path, body, params, body_start)
    return Query(name, description, version, params, ttl, reads, sql, path)


def _tables(path: Path, line: int, text: str) -> tuple[str, ...]:
    tables = tuple(t.strip() for t in text.split(","))
    for table in tables:
        if not TABLE.match(table):
            raise CatalogError(path, line, f"reads: {table!r} is not a schema.table name")
    return tables


def _positive(path: Path, line: int, value: str, key: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise CatalogError(path, line, f"{key} must be a positive integer, not {value!r}")
    return int(value)


def _to_psycopg(path: Path, body: str, params: tuple[Param, ...], offset: int) -> str:
    declared = {p.name for p in params}
    used: set[str] = set()
    converted = []
    for number, line in enumerate(body.splitlines(), start=offset + 1):
        code, dashes, comment = line.partition("--")
        for found in PLACEHOLDER.findall(code):
            if found not in declared:
                raise CatalogError(
                    path, number, f"parameter :{found} is not declared in the header"
                )
            used.add(found)
        code = PLACEHOLDER.sub(r"%(\1)s", code.replace("%", "%%"))
        converted.append(code + dashes + comment.replace("%", "%%"))
    if unused := declared - used:
        raise CatalogError(
            path, offset + 1, f"declared parameter(s) never used: {', '.join(sorted(unused))}"
        )
    return "\n".join(converted)


def load_catalog(directory: Path) -> dict[str, Query]:
    queries = [parse_query(p) for p in sorted(directory.glob("*.sql"))]
    if not queries:
        raise FileNotFoundError(f"no queries in {directory}")
    return {q.name: q for q in queries}
