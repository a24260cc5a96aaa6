"""Statements every domain shares, built once per shape and cached.

Building a `select()` costs about as much as running a small query, so each list statement is
compiled once for its (table, sort, filters, position) shape and reused with new parameters.

A list page costs the page, not the table: the keys of the page are found first (filters, sort
and position on the base table alone, where its indexes serve), then only those rows are joined
to the rows they reference and built into JSON, in the same statement. The position is either an
offset, or a cursor (keyset pagination): the sort value and id of the last row seen, which costs
the same at any depth and never skips or repeats a row when others are inserted meanwhile.
"""

import base64
import binascii
import datetime as dt
import json
import math
import typing
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db import dialect

# Where a cursor puts the next page: after a row whose sort value was a value, or was NULL.
After = Literal["value", "null"] | None


class CursorError(ValueError):
    """A cursor this list did not hand out (edited, truncated, or made for another sort)."""


# A filter's name says how it compares: `price` (equal), `price__gte` (a range), `status__in`
# (one of a list), or `q`: a case-insensitive substring of any of the list's `search` columns.
SEARCH = "q"
_RANGES = {
    "gt": sa.ColumnElement.__gt__,
    "gte": sa.ColumnElement.__ge__,
    "lt": sa.ColumnElement.__lt__,
    "lte": sa.ColumnElement.__le__,
}
_LIKE_ESCAPE = "/"


def _condition(table: sa.Table, name: str, search: tuple[str, ...]) -> sa.ColumnElement[bool]:
    if name == SEARCH:
        pattern = sa.bindparam(f"filter_{name}", type_=sa.String())
        # ILIKE on PostgreSQL, lower() LIKE lower() on SQLite: the same case folding on both sides.
        return sa.or_(*(table.c[column].ilike(pattern, escape=_LIKE_ESCAPE) for column in search))
    column_name, _, operator = name.partition("__")
    column = table.c[column_name]
    if operator == "in":
        return column.in_(sa.bindparam(f"filter_{name}", expanding=True, type_=column.type))
    parameter = sa.bindparam(f"filter_{name}", type_=column.type)
    return _RANGES[operator](column, parameter) if operator else column == parameter


def _conditions(table: sa.Table, filters: tuple[str, ...], search: tuple[str, ...]) -> list[sa.ColumnElement[bool]]:
    return [_condition(table, name, search) for name in filters]


def _parameters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The bound values of `filters`: a search is a LIKE pattern, its wildcards taken literally."""
    parameters = {f"filter_{name}": value for name, value in filters.items()}
    if SEARCH in filters:
        escaped = "".join(f"{_LIKE_ESCAPE}{char}" if char in "%_/" else char for char in filters[SEARCH])
        parameters[f"filter_{SEARCH}"] = f"%{escaped}%"
    return parameters


def read_statement(table: sa.Table, **refs: sa.Table) -> sa.Select[Any]:
    """A row of `table` as the API shows it, in one statement.

    Each keyword names a foreign-key column and the table it references: that row is joined
    and nested as a JSON object built by the database (`customer_id=...` adds `customer`).
    """
    columns: list[sa.ColumnElement[Any]] = [*table.c]
    source: sa.FromClause = table
    for column_name, referenced in refs.items():
        parent = referenced.alias(f"ref_{column_name}")
        source = source.outerjoin(parent, parent.c.id == table.c[column_name])
        columns.append(dialect.row_json(parent).label(column_name.removesuffix("_id")))
    return sa.select(*columns).select_from(source)


# The columns every row has whose text is fixed-width (`src.core.schemas.Timestamp`).
_TIMESTAMPS = frozenset({"created_at", "updated_at"})


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a nested reference's field (`CustomerRow`, or `CustomerRow | None`)."""
    candidates = [annotation, *typing.get_args(annotation)]
    return next((kind for kind in candidates if isinstance(kind, type) and issubclass(kind, BaseModel)), None)


def _api_object(source: sa.FromClause, model: type[BaseModel], nested: Mapping[str, sa.FromClause]) -> Any:
    """`json_object(...)` of `model`'s fields, in its order, from `source`'s columns (and the
    `nested` sources of its references); None if a field is neither."""
    pairs: list[sa.ColumnElement[Any]] = []
    for name, field in model.model_fields.items():
        if name in nested:
            parent, parent_model = nested[name], _nested_model(field.annotation)
            inner = None if parent_model is None else _api_object(parent, parent_model, {})
            if inner is None:
                return None
            value: sa.ColumnElement[Any] = sa.case((parent.c.id.is_(None), sa.null()), else_=inner)
        elif name in source.c:
            column = source.c[name]
            value = dialect.api_timestamp(column) if name in _TIMESTAMPS else dialect.api_value(column)
        else:
            return None
        pairs += [sa.literal_column(f"'{name}'"), value]
    return dialect.json_object(*pairs)


def json_read_statement(table: sa.Table, model: type[BaseModel], **refs: sa.Table) -> sa.Select[Any] | None:
    """A row of `table` as `model` shows it, built by the database as JSON text (the column
    `json_`, beside the row's `id`): what the response model would write, without Python
    parsing, validating and writing it again. None when the model shows something no column
    holds (the rows are then read as `read_statement` reads them)."""
    source: sa.FromClause = table
    nested: dict[str, sa.FromClause] = {}
    for column_name, referenced in refs.items():
        parent = referenced.alias(f"ref_{column_name}")
        source = source.outerjoin(parent, parent.c.id == table.c[column_name])
        nested[column_name.removesuffix("_id")] = parent
    built = _api_object(table, model, nested)
    if built is None:
        return None
    return sa.select(table.c.id, sa.cast(built, sa.Text).label("json_")).select_from(source)


def _order(column: sa.ColumnElement[Any], descending: bool) -> sa.ColumnElement[Any]:
    ordered = column.desc() if descending else column.asc()
    # NULLS LAST on both engines (their defaults differ).
    return ordered.nulls_last() if getattr(column, "nullable", False) else ordered


def _after(table: sa.Table, sort_name: str, descending: bool, after: After) -> sa.ColumnElement[bool]:
    """Rows that come after the cursor's row in the list's order (sort column, then id ascending,
    NULLs last)."""
    column, last_id = table.c[sort_name], sa.bindparam("after_id")
    if sort_name == "id":
        return column < last_id if descending else column > last_id
    if after == "null":
        return sa.and_(column.is_(None), table.c.id > last_id)
    value = sa.bindparam("after_value", type_=column.type)
    later = column < value if descending else column > value
    conditions = [later, sa.and_(column == value, table.c.id > last_id)]
    if column.nullable:
        conditions.append(column.is_(None))
    return sa.or_(*conditions)


@lru_cache(maxsize=512)
def page_statement(
    read: sa.Select[Any],
    table: sa.Table,
    sort: str,
    filters: tuple[str, ...],
    after: After = None,
    search: tuple[str, ...] = (),
) -> sa.Select[Any]:
    """The rows of one page, as `read` shows them: the page's keys first, then only those rows
    joined and built. Takes `limit` and `offset`, the filters as `filter_<name>`, and after a
    cursor `after_value` and `after_id`."""
    sort_name, descending = sort.removeprefix("-"), sort.startswith("-")
    order = (_order(table.c[sort_name], descending), table.c.id.asc())
    conditions = _conditions(table, filters, search)
    if after is not None:
        conditions.append(_after(table, sort_name, descending, after))
    keys = (
        sa.select(table.c.id)
        .where(*conditions)
        .order_by(*order)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        .subquery("keys")
    )
    return read.join(keys, keys.c.id == table.c.id).order_by(*order)


@lru_cache(maxsize=512)
def count_statement(table: sa.Table, filters: tuple[str, ...], search: tuple[str, ...] = ()) -> sa.Select[Any]:
    conditions = _conditions(table, filters, search)
    return sa.select(sa.func.count()).select_from(table).where(*conditions)


async def fetch_page(
    connection: AsyncConnection,
    read: sa.Select[Any],
    table: sa.Table,
    *,
    sort: str,
    filters: Mapping[str, Any],
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    search: tuple[str, ...] = (),
) -> tuple[Sequence[Mapping[str, Any]], str | None]:
    """The rows of one page matching `filters` (see `_condition`; `search` are the columns `q`
    looks in), after `cursor` if given, else after `offset` rows; and the cursor of the next
    page, None on the last one. One round trip: a row past the page is read to know whether
    another page follows."""
    parameters = _parameters(filters)
    after: After = None
    if cursor is not None:
        value, last_id = decode_cursor(cursor, table, sort)
        after = "value" if value is not None else "null"
        parameters.update(after_value=value, after_id=last_id)
    statement = page_statement(read, table, sort, tuple(sorted(filters)), after, search)
    result = await connection.execute(statement, {**parameters, "limit": limit + 1, "offset": offset})
    rows = result.mappings().all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(sort, last[sort.removeprefix("-")], last["id"])


async def count(
    connection: AsyncConnection, table: sa.Table, filters: Mapping[str, Any], search: tuple[str, ...] = ()
) -> int:
    """Rows of `table` matching `filters`: a scan of every match, so lists count only on request."""
    statement = count_statement(table, tuple(sorted(filters)), search)
    result = await connection.execute(statement, _parameters(filters))
    return result.scalar_one()


def encode_cursor(sort: str, value: Any, last_id: Any) -> str:
    """An opaque, URL-safe token: the sort and the last row's sort value and id."""
    payload = json.dumps([sort, _json_value(value), _json_value(last_id)], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, table: sa.Table, sort: str) -> tuple[Any, Any]:
    """The last row's sort value and id, checked against the columns they are compared with, so
    no edited cursor reaches the database as a value it cannot take."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise CursorError("not a cursor of this list") from error
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[0], str)):
        raise CursorError("not a cursor of this list")
    cursor_sort, value, last_id = payload
    if cursor_sort != sort:
        raise CursorError(f"made for sort={cursor_sort}; send the same sort as the first page")
    sort_column = table.c[sort.removeprefix("-")]
    if value is None and not sort_column.nullable:
        raise CursorError("not a cursor of this list")
    return _column_value(sort_column, value), _column_value(table.c.id, last_id)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


_INTEGER_RANGES = {sa.Integer: 2**31, sa.BigInteger: 2**63, sa.SmallInteger: 2**15}


def _column_value(column: sa.Column[Any], value: Any) -> Any:
    """`value`, from a cursor's JSON, as a value `column` can be compared with; CursorError if none."""
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, sa.Boolean):
            if isinstance(value, bool):
                return value
        elif isinstance(kind, sa.Integer):
            bound = next(limit for base, limit in reversed(_INTEGER_RANGES.items()) if isinstance(kind, base))
            if isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound:
                return value
        elif isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
            number = Decimal(value) if isinstance(value, str) else None
            if number is not None and number.is_finite() and abs(number.adjusted()) <= 30:
                return number
        elif isinstance(kind, sa.Float):
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                return value
        elif isinstance(kind, sa.String):
            if isinstance(value, str) and "\x00" not in value:
                return value
        elif isinstance(kind, sa.Uuid):
            return uuid.UUID(value)
        elif isinstance(kind, sa.DateTime | dialect.UTCDateTime):
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                return moment
        elif isinstance(kind, sa.Date):
            return dt.date.fromisoformat(value)
    except (TypeError, ValueError, AttributeError, InvalidOperation, OverflowError) as error:
        raise CursorError("not a cursor of this list") from error
    raise CursorError("not a cursor of this list")
