"""Create requests with an `Idempotency-Key` (src/web/idempotency.py), against tests/every_type.py: a
retry gets the first answer and makes no second row, the key with another body is a 422, an
expired key is new again, a request without one is served as always, and two at once make one
row; a commit whose outcome is unknown is a 503 saying to retry with the key."""

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Response
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src import database
from src.config import settings
from src.db import database_faults
from src.exceptions import register_exception_handlers
from src.web.idempotency import HEADER, MAX_KEY_LENGTH, Idempotency, keys
from tests import every_type
from tests.every_type import URL, RowCreate, RowRead, rows

KEY = {HEADER: "6f1c2a4e-0b7d-4c8e-9f3a-2d5b8e7c1a90"}


async def count(connection: AsyncConnection, table: sa.Table) -> int:
    return await connection.scalar(sa.select(sa.func.count()).select_from(table))


async def test_a_retry_gets_the_first_answer_and_makes_no_second_row(
    every_type_client: AsyncClient, connection: AsyncConnection
) -> None:
    first = await every_type_client.post(URL, json={"name": "Ada", "price": "1.50"}, headers=KEY)
    retry = await every_type_client.post(URL, json={"price": "1.50", "name": "Ada"}, headers=KEY)
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert await count(connection, every_type.table) == 1
    # Kept for its route: the same key sent to another route is another key.
    assert (await count(connection, keys), await connection.scalar(sa.select(keys.c.route))) == (1, f"POST {URL}")


async def test_the_key_with_another_body_is_a_422_naming_the_header(
    every_type_client: AsyncClient, connection: AsyncConnection
) -> None:
    assert (await every_type_client.post(URL, json={"name": "Ada"}, headers=KEY)).status_code == 201
    response = await every_type_client.post(URL, json={"name": "Grace"}, headers=KEY)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert HEADER in error["message"]
    assert [detail["field"] for detail in error["details"]] == [HEADER]
    assert await count(connection, every_type.table) == 1


async def test_an_error_stores_nothing_so_its_retry_runs_again(
    every_type_client: AsyncClient, connection: AsyncConnection
) -> None:
    assert (await every_type_client.post(URL, json={"name": "Ada"})).status_code == 201
    assert (await every_type_client.post(URL, json={"name": "Ada"}, headers=KEY)).status_code == 409
    assert await count(connection, keys) == 0
    assert (await every_type_client.post(URL, json={"name": "Grace"}, headers=KEY)).status_code == 201


async def test_an_expired_key_is_new_again_and_expired_keys_are_deleted(
    every_type_client: AsyncClient, connection: AsyncConnection
) -> None:
    assert (await every_type_client.post(URL, json={"name": "Ada"}, headers=KEY)).status_code == 201
    other = {HEADER: "another key"}
    assert (await every_type_client.post(URL, json={"name": "Bob"}, headers=other)).status_code == 201
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL + 1)
    await connection.execute(sa.update(keys).values(created_at=expired))

    grace = await every_type_client.post(URL, json={"name": "Grace"}, headers=KEY)
    assert grace.status_code == 201, grace.text
    assert await count(connection, every_type.table) == 3
    # The other expired key is gone; this one answers with its new request's answer now.
    assert (await connection.execute(sa.select(keys.c.key))).scalars().all() == [KEY[HEADER]]
    assert (await every_type_client.post(URL, json={"name": "Grace"}, headers=KEY)).json() == grace.json()


async def test_without_the_header_a_create_is_served_as_always(
    every_type_client: AsyncClient, connection: AsyncConnection
) -> None:
    for name in ("Ada", "Grace"):
        assert (await every_type_client.post(URL, json={"name": name})).status_code == 201
    assert (await count(connection, every_type.table), await count(connection, keys)) == (2, 0)


@pytest.mark.parametrize(("length", "status"), [(MAX_KEY_LENGTH, 201), (MAX_KEY_LENGTH + 1, 422), (0, 422)])
async def test_a_key_is_1_to_255_characters(every_type_client: AsyncClient, length: int, status: int) -> None:
    response = await every_type_client.post(URL, json={"name": "Ada"}, headers={HEADER: "k" * length})
    assert response.status_code == status, response.text
    if status == 422:
        assert [detail["field"] for detail in response.json()["error"]["details"]] == [HEADER]


async def test_keys_are_per_user(connection: AsyncConnection) -> None:
    """A route with a signed-in user passes the user's id: one user's key is not another's."""
    idempotent = Idempotency(KEY[HEADER], f"POST {URL}", 201)

    async def create(name: str, user: int) -> RowRead | Response:
        data = RowCreate(name=name)
        return await idempotent(connection, data, lambda: rows.insert(connection, data.model_dump()), user=user)

    assert (await create("Ada", user=1)).name == "Ada"
    assert (await create("Ada H.", user=2)).name == "Ada H."
    replay = await create("Ada", user=1)
    assert isinstance(replay, Response) and json.loads(replay.body)["name"] == "Ada"
    assert await count(connection, every_type.table) == 2


@pytest.fixture
async def committing_client(every_type_app: FastAPI, engine: AsyncEngine) -> AsyncIterator[AsyncClient]:
    """The shared tests' routes, each request in its own transaction, committed (rows deleted after)."""
    every_type_app.dependency_overrides[database.get_engine] = lambda: engine
    try:
        async with AsyncClient(transport=ASGITransport(app=every_type_app), base_url="http://test") as client:
            yield client
    finally:
        every_type_app.dependency_overrides.clear()
        async with engine.begin() as connection:
            await connection.execute(sa.delete(every_type.table))
            await connection.execute(sa.delete(keys))


async def test_requests_with_one_key_at_once_make_one_row(committing_client: AsyncClient, engine: AsyncEngine) -> None:
    answers = await asyncio.gather(*(committing_client.post(URL, json={"name": "Ada"}, headers=KEY) for _ in range(8)))
    assert {answer.status_code for answer in answers} == {201}, [answer.text for answer in answers]
    assert len({answer.text for answer in answers}) == 1
    async with engine.connect() as connection:
        assert (await count(connection, every_type.table), await count(connection, keys)) == (1, 1)


async def test_a_commit_lost_on_the_way_is_a_503_saying_to_retry_with_the_key(database_url: str) -> None:
    """The connection dies before the COMMIT's answer comes: the client cannot know whether the
    row exists, and is told so."""
    engine = database.create_engine(database_url)
    if engine.dialect.name == "sqlite":
        await engine.dispose()
        pytest.skip("SQLite commits in the process: there is no connection to lose")
    app = FastAPI()
    register_exception_handlers(app)

    @app.post("/lost", status_code=204)
    async def lost(connection: database.DbConnection) -> None:
        backend = await connection.scalar(sa.text("SELECT pg_backend_pid()"))
        async with engine.connect() as other:
            # Waits (up to 5 s) until the backend is gone, so the COMMIT meets a closed connection.
            await other.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend})

    app.dependency_overrides[database.get_engine] = lambda: engine
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
            response = await client.post("/lost")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("service_unavailable", database_faults.IN_DOUBT)
    assert "may have happened" in error["message"] and HEADER in error["message"]


def test_openapi_documents_the_header_on_every_create(app: FastAPI, every_type_app: FastAPI) -> None:
    creates = [
        operation
        for document in (app.openapi(), every_type_app.openapi())
        for path in document["paths"].values()
        if (operation := path.get("post")) and operation["operationId"].endswith("_create")
    ]
    assert creates
    for operation in creates:
        (header,) = [parameter for parameter in operation["parameters"] if parameter["name"] == HEADER]
        assert header["in"] == "header" and not header["required"]
        assert "retry" in header["description"] and header["schema"]["anyOf"][0]["maxLength"] == MAX_KEY_LENGTH
