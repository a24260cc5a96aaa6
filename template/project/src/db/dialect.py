"""Everything that differs between SQLite and PostgreSQL, kept in one place.

Domains write their SQL once; this module hides the engine-specific parts: timezone
handling, transactions and foreign keys on SQLite, JSON built in SQL, and reading
constraint violations.
"""

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both engines.

    PostgreSQL stores `timestamptz`; SQLite has no timezone, so values are stored as naive
    UTC and given their timezone back when read. Naive input is taken as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class clock_now(sa.sql.functions.FunctionElement[dt.datetime]):
    """The database's clock when the statement runs (not when its transaction began), so a row's
    timestamps follow the order writes took their locks, whatever the app servers' clocks say.

    PostgreSQL's `now()` is the transaction's start; SQLite's `CURRENT_TIMESTAMP` has whole seconds.
    """

    type = UTCDateTime()
    inherit_cache = True
    name = "clock_now"


@compiles(clock_now)
def _clock_now_sqlite(element: clock_now, compiler: SQLCompiler, **kw: Any) -> str:
    # Microseconds, as SQLAlchemy writes datetimes on SQLite, so values sort and compare as text.
    return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


@compiles(clock_now, "postgresql")
def _clock_now_postgresql(element: clock_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "clock_timestamp()"


def configure_engine(engine: AsyncEngine) -> None:
    """Give SQLite the transaction and foreign-key behaviour PostgreSQL has."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions break SAVEPOINT; let SQLAlchemy emit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


class json_object(sa.sql.functions.FunctionElement[Any]):
    """`json_object(key, value, ...)`: a JSON object built by the database from keys and values.

    PostgreSQL spells it `json_build_object`; SQLite would embed a JSON column as a string, so
    such values are passed through `json()` there.
    """

    type = sa.JSON()
    inherit_cache = True
    name = "json_object"


@compiles(json_object)
def _json_object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    clauses = list(element.clauses)
    values = [
        sa.func.json(clause) if index % 2 and isinstance(clause.type, sa.JSON) else clause
        for index, clause in enumerate(clauses)
    ]
    return f"json_object({', '.join(compiler.process(value, **kw) for value in values)})"


@compiles(json_object, "postgresql")
def _json_object_postgresql(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


def row_json(source: sa.FromClause) -> sa.ColumnElement[Any]:
    """The row of `source` (a joined table) as one JSON object, or NULL when the join found none."""
    pairs = [part for column in source.c for part in (sa.literal_column(f"'{column.name}'"), column)]
    return sa.case((source.c.id.is_(None), sa.null()), else_=json_object(*pairs))


def _sqlstate(error: IntegrityError) -> str | None:
    return getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)


def unique_violation_columns(error: IntegrityError, table: sa.Table) -> list[str] | None:
    """The columns of `table` whose unique constraint `error` reports, or None if it is not one."""
    message = str(error.orig)
    match = _SQLITE_UNIQUE.search(message)
    if match:
        return [part.strip().rsplit(".", 1)[-1] for part in match.group("columns").split(",")]
    if _sqlstate(error) != UNIQUE_VIOLATION:
        return None
    name = getattr(error.orig.__cause__, "constraint_name", None)
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and constraint.name == name:
            return [column.name for column in constraint.columns]
    return []


def is_foreign_key_violation(error: IntegrityError) -> bool:
    return _sqlstate(error) == FOREIGN_KEY_VIOLATION or "FOREIGN KEY constraint failed" in str(error.orig)


def foreign_key_violation_columns(error: IntegrityError, table: sa.Table) -> list[str] | None:
    """The columns of `table` whose reference `error` reports missing, or None if it is not one.

    PostgreSQL names the constraint; SQLite does not say which, so every foreign key of the
    table is a suspect.
    """
    if not is_foreign_key_violation(error):
        return None
    name = getattr(error.orig.__cause__, "constraint_name", None)
    keys = [constraint for constraint in table.foreign_key_constraints if name in (None, constraint.name)]
    return [column.name for constraint in keys for column in constraint.columns]


class api_value(sa.sql.functions.FunctionElement[Any]):
    """A column's value as the API's JSON shows it (as pydantic writes it), so a response can be
    built by the database: datetimes in UTC with a `Z` (no decimals when there is no fraction),
    decimals as strings with their places, UUIDs with their dashes, booleans as JSON's. Other
    values are JSON's already."""

    inherit_cache = True
    name = "api_value"

    def __init__(self, column: sa.ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = sa.JSON() if isinstance(column.type, sa.JSON | sa.Boolean | sa.Float) else column.type


class api_timestamp(api_value):
    """A row's `created_at` or `updated_at` as the API shows it: always six decimals (see
    `src.core.schemas.Timestamp`)."""

    inherit_cache = True
    name = "api_timestamp"


def _column(element: api_value) -> sa.ColumnElement[Any]:
    return next(iter(element.clauses))


def _is_datetime(column: sa.ColumnElement[Any]) -> bool:
    return isinstance(column.type, UTCDateTime | sa.DateTime)


# Where the groups of a UUID's 32 digits start, and their lengths.
_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


@compiles(api_value)
def _api_value_sqlite(element: api_value, compiler: SQLCompiler, **kw: Any) -> str:
    column = _column(element)
    value = compiler.process(column, **kw)
    kind = column.type
    if _is_datetime(column):
        # Stored as `YYYY-MM-DD HH:MM:SS.ffffff`, always with six decimals.
        full = f"replace({value}, ' ', 'T') || 'Z'"
        if isinstance(element, api_timestamp):
            return full
        whole = f"replace(substr({value}, 1, 19), ' ', 'T') || 'Z'"
        return f"CASE WHEN substr({value}, 20) = '.000000' THEN {whole} ELSE {full} END"
    if isinstance(kind, sa.Boolean):
        return f"json(CASE {value} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)"
    if isinstance(kind, sa.Float):
        # SQLite's JSON writes 15 digits; 20 give back every double exactly.
        return f"json(CASE WHEN {value} IS NOT NULL THEN printf('%!.20g', {value}) END)"
    if isinstance(kind, sa.Numeric):
        return f"CASE WHEN {value} IS NOT NULL THEN printf('%.{kind.scale or 0}f', {value}) END"
    if isinstance(kind, sa.Uuid):
        # Stored as 32 hexadecimal digits.
        parts = (f"substr({value}, {start}, {length})" for start, length in _UUID_PARTS)
        return "lower(" + " || '-' || ".join(parts) + ")"
    if isinstance(kind, sa.JSON):
        return f"json({value})"
    return value


@compiles(api_value, "postgresql")
def _api_value_postgresql(element: api_value, compiler: SQLCompiler, **kw: Any) -> str:
    column = _column(element)
    value = compiler.process(column, **kw)
    kind = column.type
    if _is_datetime(column):
        utc = f"({value} AT TIME ZONE 'UTC')"
        full = f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        if isinstance(element, api_timestamp):
            return full
        whole = f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
        return f"CASE WHEN date_trunc('second', {value}) = {value} THEN {whole} ELSE {full} END"
    if (isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float)) or isinstance(kind, sa.Uuid):
        # NUMERIC(12, 2) writes its two places; a UUID its dashes.
        return f"({value})::text"
    return value
