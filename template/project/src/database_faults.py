"""A database that is down, drops connections or goes silent: a 503 within the configured
timeouts, never a 500 or a hang, and nothing committed after the client was told it failed.

`database.create_engine` bounds every wait (connect, pool checkout, statement). SQLAlchemy
invalidates a connection that was lost or timed out, and a pooled connection the server
closed is replaced when taken from the pool (a stale one is replaced unseen). This module
resets the connections given up on, replaces closed ones, and turns the failures into
`ServiceUnavailableError` at the edge of the request.
"""

import logging
import socket
import struct
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
# insufficient resources (too many connections), operator intervention (statement timeout,
# shutdown, starting up).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})
# SO_LINGER on, for 0 seconds: closing the socket resets the connection.
_NO_LINGER = struct.pack("ii", 1, 0)


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached or did not answer in time."""
    if isinstance(error, DBAPIError):
        sqlstate = str(getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None) or "")
        return (
            error.connection_invalidated
            or isinstance(error, OperationalError | InterfaceError)
            or sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
        )
    # Raised unwrapped: a refused or unreachable server, connect and statement timeouts
    # (TimeoutError is an OSError), no free connection in the pool in time.
    return isinstance(error, OSError | PoolTimeoutError)


@asynccontextmanager
async def unavailable_as_503() -> AsyncIterator[None]:
    try:
        yield
    except Exception as error:
        if not is_unavailable(error):
            raise
        # No traceback: the database's state is the news, not this code path.
        logger.warning("Database unavailable: %r", error)
        raise ServiceUnavailableError("The database is unavailable; try again later") from error


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
