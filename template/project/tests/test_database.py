"""The engine bounds every wait with the settings."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src.config import settings


def test_the_pool_is_sized_and_bounded_by_the_settings(engine: AsyncEngine) -> None:
    assert engine.pool.size() == settings.DATABASE_POOL_SIZE
    assert engine.pool.timeout() == settings.DATABASE_POOL_TIMEOUT


async def test_statements_are_bounded_by_the_setting(connection: AsyncConnection) -> None:
    if connection.dialect.name == "sqlite":
        # SQLite's wait for another writer's lock, in milliseconds.
        waited = await connection.scalar(sa.text("PRAGMA busy_timeout"))
        assert waited == settings.DATABASE_STATEMENT_TIMEOUT * 1000
    else:
        seconds = "SELECT extract(epoch FROM current_setting('statement_timeout')::interval)"
        assert await connection.scalar(sa.text(seconds)) == settings.DATABASE_STATEMENT_TIMEOUT
