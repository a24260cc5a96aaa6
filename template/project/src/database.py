"""Engine, metadata and the per-request connection dependency."""

from collections.abc import AsyncIterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from src import dialect
from src.config import settings

# Every constraint and index gets a predictable name, so migrations can drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=True)
    dialect.configure_engine(engine)
    return engine


engine = create_engine(settings.DATABASE_URL)


def get_engine() -> AsyncEngine:
    return engine


async def get_connection(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> AsyncIterator[AsyncConnection]:
    """One transaction per request: committed on success, rolled back on any error."""
    async with engine.begin() as connection:
        yield connection


# scope="function" ends the transaction and returns the connection to the pool when the
# endpoint returns, before the response is serialised and sent.
DbConnection = Annotated[AsyncConnection, Depends(get_connection, scope="function")]
