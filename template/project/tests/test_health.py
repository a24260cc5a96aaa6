import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from src import database
from src.config import settings

READINESS = ["/health/ready", "/health"]


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
