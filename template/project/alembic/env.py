"""Alembic environment: async engine, every domain's models found by discovery."""

import asyncio

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from src.config import settings
from src.database import create_engine
from src.db import development_database
from src.models import Base
from src.web import discovery
from src.web.log import configure_logging

config = context.config
# The service's own logging (JSON in production), so migrations log like the app does.
configure_logging(settings)

# Importing each domain's models registers its tables on the shared metadata, which holds the
# service's own tables (src/models.py) already.
discovery.import_domain_modules("models")
target_metadata = Base.metadata


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


# PostgreSQL's lock_not_available and query_canceled: the migration's DATABASE_MIGRATION_* limits.
_TIMEOUTS = {
    "55P03": (
        "waited DATABASE_MIGRATION_LOCK_TIMEOUT={lock}s for a lock other sessions hold",
        "retry when they are done (a long query or an idle transaction on that table), or raise the setting",
    ),
    "57014": (
        "a statement ran past DATABASE_MIGRATION_STATEMENT_TIMEOUT={statement}s",
        "raise the setting (0: no limit) or run the migration when the table is quiet",
    ),
}


def _timed_out(error: DBAPIError) -> str | None:
    """The line that says which limit stopped the migration, or None if none did."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate not in _TIMEOUTS:
        return None
    what, fix = _TIMEOUTS[sqlstate]
    limits = {
        "lock": f"{settings.DATABASE_MIGRATION_LOCK_TIMEOUT:g}",
        "statement": f"{settings.DATABASE_MIGRATION_STATEMENT_TIMEOUT:g}",
    }
    statement = " ".join(str(error.statement or "").split())[:200]
    return f"migration stopped, nothing applied: {what.format(**limits)} (at `{statement}`); {fix}"


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if isinstance(connectable, Connection):
        do_run_migrations(connectable)
        return
    if connectable is None and "database_url" not in config.attributes:
        asyncio.run(development_database.create_if_missing(settings.DATABASE_URL))
    # Statements wait for locks and run as long as the DATABASE_MIGRATION_* settings allow.
    engine = (
        connectable if isinstance(connectable, AsyncEngine) else create_engine(_database_url(), for_migrations=True)
    )
    try:
        asyncio.run(run_async_migrations(engine))
    except DBAPIError as error:
        stopped = _timed_out(error)
        if stopped is None:
            raise
        # Alembic prints a CommandError as one line ("FAILED: ...") and exits 1, no traceback.
        raise CommandError(stopped) from error


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
