"""A database that cannot be reached or does not answer in time: a 503 in the error shape,
nothing committed, and the next request served once it is back."""

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from src import database
from src.config import settings
from src.main import create_app
from tests.live_server import free_port

TIMEOUT = 0.1
probe = sa.table("fault_probe", sa.column("id"))


def probe_app(engine: AsyncEngine) -> FastAPI:
    """The service with one more route, a write, on `engine`."""
    app = create_app()

    @app.post("/probe", status_code=204)
    async def write(connection: database.DbConnection) -> None:
        await connection.execute(probe.insert().values(id=1))

    app.dependency_overrides[database.get_engine] = lambda: engine
    return app


async def post_probe(engine: AsyncEngine) -> tuple[int, dict | None, float]:
    started = time.monotonic()
    async with AsyncClient(transport=ASGITransport(app=probe_app(engine)), base_url="http://test") as client:
        response = await client.post("/probe")
    return response.status_code, response.json() if response.content else None, time.monotonic() - started


@pytest.fixture
async def probe_table(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE fault_probe (id INTEGER)"))
    yield
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP TABLE fault_probe"))


async def test_an_unreachable_database_is_a_503(database_url: str, tmp_path: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(database=str(tmp_path / "missing" / "db.sqlite"))
    else:
        url = url.set(host="127.0.0.1", port=free_port())  # nothing listens there
    unreachable = database.create_engine(url.render_as_string(hide_password=False))
    try:
        status, body, _ = await post_probe(unreachable)
    finally:
        await unreachable.dispose()
    assert (status, body["error"]["code"]) == (503, "service_unavailable")
    assert body["error"]["request_id"]


async def test_no_free_connection_in_time_is_a_503(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"DATABASE_POOL_SIZE": 1, "DATABASE_MAX_OVERFLOW": 0, "DATABASE_POOL_TIMEOUT": TIMEOUT}.items():
        monkeypatch.setattr(settings, name, value)
    small = database.create_engine(database_url)
    try:
        async with small.connect():  # the pool's only connection, busy
            status, body, took = await post_probe(small)
    finally:
        await small.dispose()
    assert (status, body["error"]["code"]) == (503, "service_unavailable")
    assert TIMEOUT <= took < TIMEOUT + 2


async def test_a_statement_past_the_timeout_is_a_503_and_commits_nothing(
    database_url: str, engine: AsyncEngine, probe_table: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "DATABASE_STATEMENT_TIMEOUT", TIMEOUT)
    impatient = database.create_engine(database_url)
    try:
        async with engine.connect() as holder:
            # Another transaction holds the table, so the route's write waits for it.
            await holder.begin()
            if engine.dialect.name == "sqlite":
                await holder.execute(probe.insert().values(id=0))  # SQLite's one writer lock
            else:
                await holder.execute(sa.text("LOCK TABLE fault_probe IN ACCESS EXCLUSIVE MODE"))
            status, body, took = await post_probe(impatient)
            await holder.rollback()
        assert (status, body["error"]["code"]) == (503, "service_unavailable")
        assert took < TIMEOUT + 2
        # The lock is gone: the same engine serves again, and only that write is there.
        assert (await post_probe(impatient))[0] == 204
    finally:
        await impatient.dispose()
    async with engine.connect() as connection:
        assert await connection.scalar(sa.select(sa.func.count()).select_from(probe)) == 1
