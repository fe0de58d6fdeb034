"""Each query's row model matches the columns PostgreSQL says the query returns.

Every query is prepared (not executed) on the migrated schema; the described result columns
must be exactly the model's fields, in order, with compatible types. Changing the SQL without
the model, or the model without the SQL, fails here.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from typing import Any, Union, get_args, get_origin

import psycopg
import pytest

from tests.sql.conftest import CATALOG
from vedb.analytics.rows import ROW_MODELS, Row

# PostgreSQL type OID -> the Python type psycopg returns for it.
OID_TYPES: dict[int, Any] = {
    20: int,
    21: int,
    23: int,  # int8, int2, int4
    25: str,
    1043: str,  # text, varchar
    701: float,  # float8
    1082: date,
    1184: datetime,  # date, timestamptz
    1016: list[int],
    1007: list[int],
    1009: list[str],  # int8[], int4[], text[]
    3802: list,  # jsonb (an array of objects here, validated by the model)
}


def python_type(annotation: Any) -> Any:
    """The annotation without its ``| None``; nested models count as plain lists."""
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if (
        get_origin(annotation) is list
        and isinstance(get_args(annotation)[0], type)
        and issubclass(get_args(annotation)[0], Row)
    ):
        return list
    return annotation


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_row_model_matches_the_result_columns(migrated_db: str, name: str) -> None:
    query = CATALOG[name]
    with psycopg.connect(migrated_db) as conn:
        # Prepared and described by the server, never executed.
        conn.pgconn.prepare(b"probe", _server_sql(query.sql, [p.name for p in query.params]))
        described = conn.pgconn.describe_prepared(b"probe")
        columns = [
            (described.fname(i).decode(), described.ftype(i)) for i in range(described.nfields)
        ]
    model = ROW_MODELS[name]
    assert [c for c, _ in columns] == list(model.model_fields), "column names and order"
    for column, oid in columns:
        expected = OID_TYPES.get(oid, f"unmapped OID {oid}")
        assert python_type(model.model_fields[column].annotation) == expected, column


def _server_sql(sql: str, names: list[str]) -> bytes:
    """%(name)s placeholders as $1, $2 ... (each name keeps one number), %% as %."""
    for number, name in enumerate(names, start=1):
        sql = sql.replace(f"%({name})s", f"${number}")
    return sql.replace("%%", "%").encode()
