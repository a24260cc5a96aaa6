"""Everything that differs between SQLite and PostgreSQL, kept in one place.

Domains write their SQL once; this module hides the engine-specific parts: timezone
handling, transactions and foreign keys on SQLite, and reading constraint violations.
"""

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
