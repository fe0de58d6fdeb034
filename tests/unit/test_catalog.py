"""The query header parser and parameter validation: strict, with errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vedb.analytics.catalog import CatalogError, load_catalog, parse_query
from vedb.analytics.params import ParamError, validate
from vedb.settings import Settings

GOOD = """-- name: q
-- Rows for a test.
-- version: 2
-- params: days int 1..30 = 7, course_id int? 1.. = null, user_id int 1..
-- cache_ttl: 60
-- reads: learning.users
SELECT :days::int AS d, CAST(:course_id AS bigint) AS c, :user_id AS u, '50%' AS pct  -- not :this
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.sql"
    path.write_text(text)
    return path


def test_a_good_header(tmp_path: Path) -> None:
    query = parse_query(write(tmp_path, GOOD))
    assert (query.name, query.version, query.cache_ttl) == ("q", 2, 60)
    assert query.description == "Rows for a test."
    assert [(p.name, p.nullable, p.low, p.high, p.default, p.required) for p in query.params] == [
        ("days", False, 1, 30, 7, False),
        ("course_id", True, 1, None, None, False),
        ("user_id", False, 1, None, None, True),
    ]
    assert "%(days)s::int" in query.sql and "CAST(%(course_id)s AS bigint)" in query.sql
    assert "'50%%'" in query.sql and "-- not :this" in query.sql


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("-- cache_ttl: 60", "-- cache_ttl: 60\n-- owner: me"),
            r"q.sql:6: unknown header key 'owner'",
        ),
        (("-- version: 2\n", ""), r"q.sql:1: header has no '-- version:' line"),
        (
            (":user_id AS u", ":user_id AS u, :limit AS l"),
            r"q.sql:7: parameter :limit is not declared",
        ),
        ((", user_id int 1..", ", user_id int 1.., spare int 1..2 = 1"), r"never used: spare"),
        (("-- name: q", "-- name: other"), r"q.sql:1: name 'other' differs from the file name 'q'"),
        (
            ("days int 1..30 = 7", "days integer 1..30"),
            r"q.sql:4: bad parameter 'days integer 1..30'",
        ),
        (("days int 1..30 = 7", "days int 1..30 = null"), r"days is not nullable"),
        (("-- version: 2", "-- version: two"), r"q.sql:3: version must be a positive integer"),
        (("-- Rows for a test.\n", ""), r"q.sql:2: line 2 must be a one-line description"),
    ],
)
def test_header_errors_name_file_and_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_query(write(tmp_path, GOOD.replace(*change)))


def test_the_repository_catalogue_has_the_thirteen_queries() -> None:
    catalog = load_catalog(Settings().queries_dir)
    assert len(catalog) == 13
    assert catalog["leaderboard"].cache_ttl == 300


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"days": "7", "user_id": "x"}, r"'user_id' must be an integer, not 'x'"),
        ({"user_id": 1, "days": 31}, r"'days' is out of bounds: 31 is not in 1..30"),
        ({"user_id": 0}, r"'user_id' is out of bounds: 0 is not in 1..9223372036854775807"),
        ({}, r"'user_id' is required: expected user_id: integer 1.."),
        (
            {"user_id": 1, "limit": 5},
            r"'limit' is unknown \(parameters: days, course_id, user_id\)",
        ),
        ({"user_id": True}, r"must be an integer, not True"),
        ({"user_id": None}, r"'user_id' is required"),
        ({"user_id": 1.5}, r"must be an integer, not 1.5"),
        # Only ASCII digits, at most a bigint's length: no traceback, no silent acceptance.
        ({"user_id": "--5"}, r"must be an integer, not '--5'"),
        ({"user_id": "\u00b2"}, r"must be an integer"),  # superscript two: isdigit() is True
        ({"user_id": "\u0663"}, r"must be an integer"),  # Arabic-Indic three
        ({"user_id": "\uff15"}, r"must be an integer"),  # fullwidth five
        ({"user_id": "9" * 5000}, r"must be an integer, not '9999"),
        ({"user_id": str(10**20)}, r"must be an integer"),
        (
            {"user_id": 10**20},
            r"out of bounds: 100000000000000000000 is not in 1..9223372036854775807",
        ),
    ],
)
def test_bad_parameters_are_rejected_before_any_sql(
    tmp_path: Path, raw: dict[str, object], message: str
) -> None:
    query = parse_query(write(tmp_path, GOOD))
    with pytest.raises(ParamError, match=message):
        validate(query, raw)


def test_parameters_are_converted_and_defaulted(tmp_path: Path) -> None:
    query = parse_query(write(tmp_path, GOOD))
    assert validate(query, {"user_id": "12"}) == {"days": 7, "course_id": None, "user_id": 12}
    assert validate(query, {"user_id": 1, "course_id": "null", "days": -0 + 30}) == {
        "days": 30,
        "course_id": None,
        "user_id": 1,
    }
