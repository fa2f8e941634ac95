"""Bounded parameter types for every route: an integer the database cannot hold (>= 2^63)
(or an id beyond the id columns) is a 422 from validation, never a 500 from the driver, and a date is a calendar date
(YYYY-MM-DD), not a number that pydantic would read as a Unix time."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator

MAX_DB_INT = 2**63 - 1  # BIGINT / SQLite INTEGER: counts, offsets
MAX_ID = 2**31 - 1  # ids are INTEGER columns (4 bytes on PostgreSQL)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD, e.g. 2026-03-01")
    return value


#: an id in a path: 1 .. 2^31-1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a numeric id")]
#: a count or offset in a query: 0 .. 2^63-1
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT)]
#: a calendar date in a query
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def invalid(where: tuple[str, ...], message: str, value: object = None) -> Exception:
    """A 422 shaped like FastAPI's own (``{"detail": [{loc, msg, type}]}``), so the body
    matches the HTTPValidationError schema the OpenAPI document declares."""
    from fastapi.exceptions import RequestValidationError

    return RequestValidationError([{"loc": where, "msg": message, "type": "value_error",
                                    "input": value}])
