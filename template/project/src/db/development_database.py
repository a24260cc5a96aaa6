"""The local development database, made the first time migrations run (`uv run alembic upgrade
head`), so a fresh checkout needs no `createdb`.

Only that database is ever made: the one DEVELOPMENT_DATABASE_URL names, on this machine. Any
other URL (staging, production, which refuse the development URL) is left alone, and a missing
database there stays the error it is.
"""

import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from src.config import is_development_database

logger = logging.getLogger(__name__)


async def create_if_missing(url: str) -> bool:
    """Create the PostgreSQL development database at `url` if it does not exist; True if it was made."""
    target = sa.make_url(url)
    if target.get_backend_name() != "postgresql" or not target.database or not is_development_database(url):
        # SQLite makes its file itself; other databases are not ours to create.
        return False
    # CREATE DATABASE runs outside a transaction, connected to the server's maintenance database.
    engine = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            query = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
            if await connection.scalar(query, {"name": target.database}):
                return False
            quoted = connection.dialect.identifier_preparer.quote(target.database)
            await connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        await engine.dispose()
    logger.info("created the development database %s", target.database)
    return True
