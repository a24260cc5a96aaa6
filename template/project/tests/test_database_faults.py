"""A database that cannot be reached, does not answer in time, refuses the service's credentials
or lacks a table the code uses: a 503 in the error shape (logged once a minute, not per request),
nothing committed, and the next request served once it is back."""

import logging
import time
import uuid
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
from src.db import database_faults
from src.main import create_app
from tests.live_server import free_port

TIMEOUT = 0.1
probe = sa.table("fault_probe", sa.column("id"))


def probe_app(engine: AsyncEngine) -> FastAPI:
    """The service with more routes on `engine`: a write, and statements a migration would make work."""
    app = create_app()

    @app.post("/probe", status_code=204)
    async def write(connection: database.DbConnection) -> None:
        await connection.execute(probe.insert().values(id=1))

    @app.get("/probe/{statement}", status_code=204)
    async def run(connection: database.ReadConnection, statement: str) -> None:
        await connection.execute(sa.text(UNMIGRATED[statement]))

    app.dependency_overrides[database.get_engine] = lambda: engine
    return app


# Statements on a table or column a pending migration would add.
UNMIGRATED = {
    "table": "SELECT * FROM table_of_a_pending_migration",
    "column": "SELECT column_of_a_pending_migration FROM alembic_version",
    "insert": "INSERT INTO alembic_version (version_num, column_of_a_pending_migration) VALUES ('x', 1)",
}


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


@pytest.mark.parametrize("statement", UNMIGRATED)
async def test_a_missing_table_or_column_is_a_503_saying_to_migrate(engine: AsyncEngine, statement: str) -> None:
    async with AsyncClient(transport=ASGITransport(app=probe_app(engine)), base_url="http://test") as client:
        response = await client.get(f"/probe/{statement}")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["message"] == database_faults.SCHEMA_BEHIND
    assert "alembic upgrade head" in error["message"]


@pytest.fixture
def fresh_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """No failure logged yet in this process."""
    monkeypatch.setattr(database_faults, "_last_logged", {})
    monkeypatch.setattr(database_faults, "_unlogged", {})


def rejecting_urls(database_url: str, tmp_path: Path) -> list[str]:
    """URLs of the test's database server that let no one in: an unknown role, a missing database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return [url.set(database=str(tmp_path / "missing" / "db.sqlite")).render_as_string(hide_password=False)]
    unknown = f"no_such_{uuid.uuid4().hex[:8]}"
    return [
        url.set(username=unknown).render_as_string(hide_password=False),
        url.set(database=unknown).render_as_string(hide_password=False),
    ]


@pytest.mark.parametrize("refusal", [0, 1], ids=["unknown role or missing file", "missing database"])
async def test_a_database_that_lets_no_one_in_is_a_503_logged_once_a_minute(
    database_url: str,
    tmp_path: Path,
    fresh_log: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    refusal: int,
) -> None:
    urls = rejecting_urls(database_url, tmp_path)
    if refusal >= len(urls):
        pytest.skip("SQLite has no server to refuse a role or a database")
    rejecting = database.create_engine(urls[refusal])
    try:
        with caplog.at_level(logging.WARNING, logger="src.db.database_faults"):
            for _ in range(5):
                status, body, _ = await post_probe(rejecting)
                assert (status, body["error"]["code"]) == (503, "service_unavailable")
            monkeypatch.setattr(database_faults, "LOG_INTERVAL", 0)  # a minute later
            assert (await post_probe(rejecting))[0] == 503
    finally:
        await rejecting.dispose()
    logged = [record for record in caplog.records if record.name == "src.db.database_faults"]
    assert len(logged) == 2, [record.getMessage() for record in logged]
    assert all(record.exc_info is None for record in logged)
    assert "and 4 more since the last report" in logged[1].getMessage()
