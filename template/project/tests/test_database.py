"""The engine bounds every wait with the settings; so do migrations, on PostgreSQL."""

import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src import database
from src.config import settings
from tests.conftest import TEST_DATABASE_URL, migration_config
from tests.databases import scratch_database


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


async def test_migrations_wait_for_locks_and_statements_as_the_settings_say(engine: AsyncEngine) -> None:
    migrating = database.create_engine(engine.url.render_as_string(hide_password=False), for_migrations=True)
    try:
        async with migrating.connect() as connection:
            if connection.dialect.name == "sqlite":
                pytest.skip("SQLite has no lock or statement timeouts of its own")
            seconds = "SELECT extract(epoch FROM current_setting('{}')::interval)"
            lock = await connection.scalar(sa.text(seconds.format("lock_timeout")))
            statement = await connection.scalar(sa.text(seconds.format("statement_timeout")))
    finally:
        await migrating.dispose()
    assert lock == settings.DATABASE_MIGRATION_LOCK_TIMEOUT
    assert statement == settings.DATABASE_MIGRATION_STATEMENT_TIMEOUT


async def test_a_migration_behind_a_held_lock_stops_soon_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rather than queue behind a long transaction (and make every query on the table queue
    behind it), `alembic upgrade` gives up after DATABASE_MIGRATION_LOCK_TIMEOUT."""
    if make_url(TEST_DATABASE_URL).get_backend_name() == "sqlite":
        pytest.skip("SQLite has no lock timeout of its own")
    monkeypatch.setattr(settings, "DATABASE_MIGRATION_LOCK_TIMEOUT", 0.2)
    async with scratch_database(TEST_DATABASE_URL, tmp_path) as url:
        config = migration_config(url)
        await asyncio.to_thread(command.upgrade, config, "head")
        holder = database.create_engine(url)
        try:
            async with holder.connect() as connection, connection.begin():
                # Every migration reads the revision first: it waits for this lock.
                await connection.execute(sa.text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
                started = time.monotonic()
                with pytest.raises(CommandError, match=r"DATABASE_MIGRATION_LOCK_TIMEOUT=0\.2s") as stopped:
                    await asyncio.to_thread(command.upgrade, config, "head")
                assert time.monotonic() - started < 5
        finally:
            await holder.dispose()
    assert "nothing applied" in str(stopped.value)
    assert "\n" not in str(stopped.value)
