from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient

from src import database


async def test_health_reports_the_database(client: AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_is_503_when_the_database_is_down(app: FastAPI, client: AsyncClient, tmp_path: Path) -> None:
    unreachable = database.create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite")
    app.dependency_overrides[database.get_engine] = lambda: unreachable
    response = await client.get("/health")
    await unreachable.dispose()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
