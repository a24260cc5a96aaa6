"""Scratch databases for one test run, made next to `TEST_DATABASE_URL` and dropped after,
and a statement counter for round-trip checks.

SQLite gets a file in pytest's temporary folder; PostgreSQL a database with a unique name on
the same server, so parallel runs never collide and nothing is left behind.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@asynccontextmanager
async def scratch_database(base_url: str, directory: Path) -> AsyncIterator[str]:
    url = make_url(base_url)
    suffix = uuid.uuid4().hex[:8]
    if url.get_backend_name() == "sqlite":
        stem = Path(url.database or "test.db").stem
        path = directory / f"{stem}-{suffix}.db"
        try:
            yield url.set(database=str(path)).render_as_string(hide_password=False)
        finally:
            path.unlink(missing_ok=True)
        return

    name = f"{(url.database or 'test')[:50]}_{suffix}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block, to check a route's round trips."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
