"""A database that is down, drops connections, goes silent, refuses the service's credentials or
lacks the schema the code expects: a 503 within the configured timeouts, never a 500 or a hang,
and nothing committed after the client was told it failed.

`database.create_engine` bounds every wait (connect, pool checkout, statement). SQLAlchemy
invalidates a connection that was lost or timed out, and a pooled connection the server
closed is replaced when taken from the pool (a stale one is replaced unseen). This module
resets the connections given up on, replaces closed ones, and turns the failures into
`ServiceUnavailableError` at the edge of the request, logging each kind once a minute (a database
that is down fails every request: one line a minute says so, a traceback per request would not).
"""

import logging
import socket
import struct
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

from src.exceptions import ServiceUnavailableError

logger = logging.getLogger(__name__)

# SQLSTATE classes of a database that cannot serve right now: connection exception,
# invalid authorization (wrong role or password), invalid catalog name (no such database),
# insufficient resources (too many connections), operator intervention (statement timeout,
# shutdown, starting up).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "28", "3D", "53", "57"})
# A table or column the code uses that the database lacks: a migration not applied yet.
_MISSING_SCHEMA_SQLSTATES = frozenset({"42P01", "42703"})  # undefined_table, undefined_column
_SQLITE_MISSING_SCHEMA = ("no such table:", "no such column:", "has no column named")
SCHEMA_BEHIND = "The database schema is behind the code: run `alembic upgrade head`"
UNAVAILABLE = "The database is unavailable; try again later"
# The COMMIT was sent, its answer never came: the server may have committed it or not.
IN_DOUBT = (
    "The database connection was lost while committing: the write may have happened. "
    "Retry with the same Idempotency-Key header: a create is then never made twice"
)
# SO_LINGER on, for 0 seconds: closing the socket resets the connection.
_NO_LINGER = struct.pack("ii", 1, 0)
# Seconds between two log lines about the same kind of failure.
LOG_INTERVAL = 60.0
_last_logged: dict[str, float] = {}
_unlogged: dict[str, int] = {}


def _sqlstate(error: DBAPIError) -> str:
    return str(getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None) or "")


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached, would not let the service in, or
    did not answer in time."""
    if isinstance(error, DBAPIError):
        return (
            error.connection_invalidated
            or isinstance(error, OperationalError | InterfaceError)
            or _sqlstate(error)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
        )
    # Raised unwrapped: a refused or unreachable server, connect and statement timeouts
    # (TimeoutError is an OSError), no free connection in the pool in time.
    return isinstance(error, OSError | PoolTimeoutError)


def is_schema_behind(error: BaseException) -> bool:
    """Whether `error` says a table or column is missing: the database is not migrated to the code."""
    if not isinstance(error, DBAPIError):
        return False
    if _sqlstate(error) in _MISSING_SCHEMA_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and any(sign in str(error.orig) for sign in _SQLITE_MISSING_SCHEMA)


@asynccontextmanager
async def unavailable_as_503(message: str = UNAVAILABLE) -> AsyncIterator[None]:
    try:
        yield
    except Exception as error:
        # Checked first: SQLite reports a missing table as an OperationalError, like an outage.
        if is_schema_behind(error):
            log_once_a_minute("Database schema behind the code (run `alembic upgrade head`)", error)
            raise ServiceUnavailableError(SCHEMA_BEHIND) from error
        if not is_unavailable(error):
            raise
        log_once_a_minute("Database unavailable", error)
        raise ServiceUnavailableError(message) from error


def log_once_a_minute(what: str, error: BaseException) -> None:
    """One warning per kind of failure and LOG_INTERVAL, counting the ones left out, and no
    traceback: the database's state is the news, not this code path."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = str(cause).strip()
    reason = f"{type(cause).__name__}: {text.splitlines()[0]}" if text else type(cause).__name__
    kind, now = f"{what} {type(cause).__name__}", time.monotonic()
    if now - _last_logged.get(kind, -LOG_INTERVAL) < LOG_INTERVAL:
        _unlogged[kind] = _unlogged.get(kind, 0) + 1
        return
    _last_logged[kind] = now
    unlogged = _unlogged.pop(kind, 0)
    since = f" (and {unlogged} more since the last report)" if unlogged else ""
    logger.warning("%s: %s%s", what, reason, since)


def abort_failed_connections(engine: AsyncEngine) -> None:
    """A connection SQLAlchemy gives up on (lost, or timed out: it invalidates both) is reset
    at once and for good, rather than closed politely."""
    if engine.dialect.driver == "asyncpg":
        sa.event.listen(engine.sync_engine.pool, "invalidate", _abort)


def discard_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection the server has closed (a restart, an idle timeout) is replaced when
    taken from the pool, at no cost: asyncpg knows it without a round trip, unlike a pre-ping."""
    if engine.dialect.driver == "asyncpg":
        sa.event.listen(engine.sync_engine.pool, "checkout", _discard_if_closed)


def _discard_if_closed(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: Any) -> None:
    if dbapi_connection.driver_connection.is_closed():
        # The pool drops it and checks out another (SQLAlchemy's disconnect handling).
        raise DisconnectionError


def _abort(_dbapi_connection: Any, record: ConnectionPoolEntry, _error: BaseException | None) -> None:
    # A polite close would wait on a silent network. asyncpg's terminate() does not wait, but
    # its plain close still lets the system deliver what is queued (a COMMIT, once the network
    # is back) after the client was told the request failed. With a zero linger the close is
    # a reset that discards it, and the server rolls back.
    connection = record.driver_connection
    if not connection.is_closed():
        connection._transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _NO_LINGER)
    connection.terminate()
