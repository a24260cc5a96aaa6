"""Alembic environment: async engine, every domain's models found by discovery."""

import asyncio

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from src import development_database, discovery
from src.config import settings
from src.database import create_engine, metadata
from src.log import configure_logging

config = context.config
# The service's own logging (JSON in production), so migrations log like the app does.
configure_logging(settings)

# Importing each domain's models registers its tables on the shared metadata.
discovery.import_domain_modules("models")
target_metadata = metadata


def _database_url() -> str:
    # Tests pass their own database in `attributes`; everything else uses the settings.
    return config.attributes.get("database_url") or settings.DATABASE_URL


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def check_foreign_keys(ctx: MigrationContext, step: MigrationInfo, **_: object) -> None:
    """Foreign keys are off while SQLite migrates (see run_async_migrations): every reference must
    still hold when a migration's transaction commits."""
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()  # type: ignore[union-attr]
    if broken:
        target = ", ".join(step.destination_revision_ids) or "base"
        raise RuntimeError(f"migrating to {target} leaves rows that reference missing rows: {broken[:5]}")


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite alters tables by copying them; batch mode does that for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
        on_version_apply=[check_foreign_keys] if connection.dialect.name == "sqlite" else [],
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Batch mode alters a SQLite table by copying it and dropping the original, which
                # fails while other tables' rows reference it and foreign keys are enforced. As
                # SQLite's own procedure for schema changes has it, they are off while migrating
                # (set outside any transaction, where the pragma works) and checked before commit.
                raw = await connection.get_raw_connection()
                await raw.driver_connection.execute("PRAGMA foreign_keys=OFF")
            await connection.run_sync(do_run_migrations)
    finally:
        # Each run has its own event loop; pooled connections must not outlive it.
        await engine.dispose()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if isinstance(connectable, Connection):
        do_run_migrations(connectable)
        return
    if connectable is None and "database_url" not in config.attributes:
        asyncio.run(development_database.create_if_missing(settings.DATABASE_URL))
    # No statement timeout: a migration may rightly take longer than any request.
    engine = (
        connectable if isinstance(connectable, AsyncEngine) else create_engine(_database_url(), limit_statements=False)
    )
    asyncio.run(run_async_migrations(engine))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
