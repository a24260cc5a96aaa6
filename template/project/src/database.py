"""Engine, metadata and the per-request connection dependencies.

Writes run in one transaction per request; reads run without one on PostgreSQL (a single
statement needs no BEGIN and COMMIT: two round trips saved). A connection is never pinged before
use (another round trip): one the server closed is noticed without I/O and replaced when it is
taken from the pool, and connections are recycled before servers or proxies drop idle ones.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from src.config import settings
from src.db import dialect
from src.db.database_faults import IN_DOUBT, abort_failed_connections, discard_closed_connections, unavailable_as_503

# Every constraint and index gets a predictable name, so migrations can drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, *, for_migrations: bool = False) -> AsyncEngine:
    """The engine, with every wait bounded by the settings; `for_migrations`, statements run as
    long as DATABASE_MIGRATION_STATEMENT_TIMEOUT allows and wait DATABASE_MIGRATION_LOCK_TIMEOUT
    for a lock."""
    engine = create_async_engine(
        url,
        pool_recycle=settings.DATABASE_POOL_RECYCLE,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_MAX_OVERFLOW,
        pool_timeout=settings.DATABASE_POOL_TIMEOUT,
        # Errors and logs show the SQL but never the values users sent.
        hide_parameters=True,
        connect_args=_connect_args(sa.make_url(url), for_migrations),
    )
    dialect.configure_engine(engine)
    abort_failed_connections(engine)
    discard_closed_connections(engine)
    return engine


def _milliseconds(seconds: float) -> str:
    return str(round(seconds * 1000))


def _connect_args(url: sa.URL, for_migrations: bool) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        # SQLite has no server to time out; the nearest wait is for another writer's lock.
        return {} if for_migrations else {"timeout": settings.DATABASE_STATEMENT_TIMEOUT}
    # asyncpg, the service's PostgreSQL driver.
    args: dict[str, Any] = {"timeout": settings.DATABASE_CONNECT_TIMEOUT}
    if for_migrations:
        # The server enforces both (0 turns one off); a migration may rightly outlast any request.
        args["server_settings"] = {
            "lock_timeout": _milliseconds(settings.DATABASE_MIGRATION_LOCK_TIMEOUT),
            "statement_timeout": _milliseconds(settings.DATABASE_MIGRATION_STATEMENT_TIMEOUT),
        }
        return args
    # The server cancels a slow statement; the driver gives up waiting at the same time, which
    # also catches a network that went silent (the server's answer never comes).
    args["command_timeout"] = settings.DATABASE_STATEMENT_TIMEOUT
    args["server_settings"] = {"statement_timeout": _milliseconds(settings.DATABASE_STATEMENT_TIMEOUT)}
    return args


engine = create_engine(settings.DATABASE_URL)


async def get_engine() -> AsyncEngine:
    # A coroutine: FastAPI runs a plain function dependency in a thread, a hop per request.
    return engine


async def get_connection(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> AsyncIterator[AsyncConnection]:
    """One transaction per request: committed on success, rolled back on any error, and a 503
    when the database cannot be reached or does not answer in time (one saying the write may
    have happened when the connection is lost during the COMMIT)."""
    async with unavailable_as_503(), engine.connect() as connection, connection.begin() as transaction:
        yield connection
        async with unavailable_as_503(IN_DOUBT):
            await transaction.commit()


async def get_read_connection(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> AsyncIterator[AsyncConnection]:
    """A connection for reads: each statement on its own, without BEGIN and COMMIT on PostgreSQL
    (SQLite's transactions cost no round trip, and its driver needs them)."""
    async with unavailable_as_503(), engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


# scope="function" ends the transaction and returns the connection to the pool when the
# endpoint returns, before the response is serialised and sent.
DbConnection = Annotated[AsyncConnection, Depends(get_connection, scope="function")]
ReadConnection = Annotated[AsyncConnection, Depends(get_read_connection, scope="function")]
