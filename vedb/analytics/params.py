"""Validates and converts caller parameters against a query's header, before any SQL runs."""

from __future__ import annotations

import re
from collections.abc import Mapping

from vedb.analytics.catalog import BIGINT_MAX, Param, Query

# ASCII digits only (str.isdigit() also passes '²' and '٣'), at most a bigint's 19 digits.
INTEGER = re.compile(r"-?[0-9]{1,19}")


class ParamError(ValueError):
    """A parameter is missing, unknown, of the wrong type or out of bounds."""

    def __init__(self, query: str, param: str, reason: str) -> None:
        super().__init__(f"{query}: parameter {param!r} {reason}")
        self.query = query
        self.param = param
        self.reason = reason


def _convert(query: Query, spec: Param, raw: object) -> int | None:
    if raw is None or (isinstance(raw, str) and raw.lower() in ("", "null", "none")):
        if spec.nullable:
            return None
        raise ParamError(query.name, spec.name, f"is required: expected {spec.describe()}")
    if isinstance(raw, bool):
        raise ParamError(query.name, spec.name, f"must be an integer, not {_shown(raw)}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and INTEGER.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        raise ParamError(query.name, spec.name, f"must be an integer, not {_shown(raw)}")
    high = BIGINT_MAX if spec.high is None else spec.high
    if value < spec.low or value > high:
        bounds = f"{spec.low}..{high}"
        raise ParamError(query.name, spec.name, f"is out of bounds: {value} is not in {bounds}")
    return value


def _shown(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else f"{text[:37]}..."


def validate(query: Query, raw: Mapping[str, object]) -> dict[str, int | None]:
    """The bound parameters: every declared one, defaults filled in, nothing else."""
    unknown = sorted(set(raw) - {p.name for p in query.params})
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise ParamError(query.name, unknown[0], f"is unknown (parameters: {known})")
    values: dict[str, int | None] = {}
    for spec in query.params:
        if spec.name in raw:
            values[spec.name] = _convert(query, spec, raw[spec.name])
        elif spec.required:
            raise ParamError(query.name, spec.name, f"is required: expected {spec.describe()}")
        else:
            values[spec.name] = spec.default
    return values
