import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from src import database
from src.config import settings
from src.web import health
from tests.conftest import TEST_DATABASE_URL, migration_config
from tests.databases import scratch_database

READINESS = ["/health/ready", "/health"]
REVISIONS = health.code_revisions()
needs_migrations = pytest.mark.skipif(
    REVISIONS is None or not REVISIONS.heads, reason="the service has no migrations yet"
)


@pytest.fixture
async def unreachable(app: FastAPI, client: AsyncClient, tmp_path: Path) -> AsyncIterator[None]:
    """The database cannot be reached (a SQLite file in a folder that does not exist)."""
    engine = database.create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite")
    app.dependency_overrides[database.get_engine] = lambda: engine
    yield
    await engine.dispose()


class SilentEngine:
    """An engine whose database never answers."""

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[None]:
        await asyncio.Event().wait()
        yield


@pytest.mark.parametrize("path", READINESS)
async def test_ready_reports_the_database(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", READINESS)
async def test_ready_is_503_when_the_database_is_down(client: AsyncClient, unreachable: None, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


async def test_ready_is_503_when_the_database_is_silent(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "READINESS_TIMEOUT", 0.05)
    app.dependency_overrides[database.get_engine] = SilentEngine
    response = await asyncio.wait_for(client.get("/health/ready"), timeout=5)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


async def test_live_needs_no_database(client: AsyncClient, unreachable: None) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
async def unmigrated(app: FastAPI, client: AsyncClient, tmp_path: Path) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """The app on an empty database of its own, no migration applied: (its URL, its engine)."""
    async with scratch_database(TEST_DATABASE_URL, tmp_path) as url:
        engine = database.create_engine(url)
        app.dependency_overrides[database.get_engine] = lambda: engine
        yield url, engine
        await engine.dispose()


@needs_migrations
@pytest.mark.parametrize("path", READINESS)
async def test_ready_is_503_until_the_database_is_migrated(
    client: AsyncClient, unmigrated: tuple[str, AsyncEngine], path: str
) -> None:
    assert REVISIONS is not None
    response = await client.get(path)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert "alembic upgrade head" in error["message"]
    head = ", ".join(sorted(REVISIONS.heads))
    assert error["details"] == {
        "database_revision": None,
        "head": head,
        "pending": len(REVISIONS.known),
        "command": "alembic upgrade head",
    }
    assert head in error["message"]
    await asyncio.to_thread(command.upgrade, migration_config(unmigrated[0]), "head")
    assert (await client.get(path)).json() == {"status": "ok", "database": "ok"}


@needs_migrations
async def test_ready_is_503_one_migration_behind(client: AsyncClient, unmigrated: tuple[str, AsyncEngine]) -> None:
    config = migration_config(unmigrated[0])
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.downgrade, config, "-1")
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["pending"] == 1
    assert "1 migration behind" in response.json()["error"]["message"]


@needs_migrations
async def test_ready_when_a_newer_release_migrated_the_database(
    client: AsyncClient, unmigrated: tuple[str, AsyncEngine]
) -> None:
    """A rolling deploy: the new release's migrations ran while this code still serves."""
    url, engine = unmigrated
    await asyncio.to_thread(command.upgrade, migration_config(url), "head")
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    assert (await client.get("/health/ready")).status_code == 200


@needs_migrations
async def test_start_up_warns_once_when_migrations_are_pending(
    unmigrated: tuple[str, AsyncEngine], caplog: pytest.LogCaptureFixture
) -> None:
    url, engine = unmigrated

    async def warnings() -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="src.web.health"):
            await health.warn_if_schema_behind(engine)
        return [record.getMessage() for record in caplog.records if record.name == "src.web.health"]

    (warning,) = await warnings()
    assert "alembic upgrade head" in warning
    await asyncio.to_thread(command.upgrade, migration_config(url), "head")
    assert await warnings() == []
