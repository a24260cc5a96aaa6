"""Writes as every domain makes them (src/db/crud.py, src/db/conflicts.py), against tests/every_type.py:
a taken unique value, a reference to a missing row and the delete of a referenced row are 409s
naming what conflicts; a read nests the rows it references, in one statement."""

import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src.db.conflicts import RowInUseError
from tests.databases import count_statements
from tests.every_type import URL, parent_rows, parents, rows
from tests.test_refusals import MISSING_ID


def selects(statements: list[str]) -> list[str]:
    """The statements that read (savepoints stand in for the request's transaction)."""
    return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]


async def make_parent(connection: AsyncConnection) -> str | int:
    """A parent row's id as the API writes it."""
    parent = (await connection.execute(parents.insert().returning(parents.c.id), {"name": "Ada"})).scalar_one()
    return parent if isinstance(parent, int) else str(parent)


def key(api_id: str | int) -> uuid.UUID | int:
    """An id as the API writes it, as src/db/crud.py takes it (the route's path parameter)."""
    return uuid.UUID(api_id) if isinstance(api_id, str) else api_id


def assert_conflict(response, field: str | None) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert [detail["field"] for detail in error["details"] or []] == ([field] if field else [])


async def test_a_taken_unique_value_is_409_naming_the_field(every_type_client: AsyncClient) -> None:
    first = (await every_type_client.post(URL, json={"name": "Ada"})).json()
    second = (await every_type_client.post(URL, json={"name": "Grace"})).json()
    assert_conflict(await every_type_client.post(URL, json={"name": "Ada"}), "name")
    assert_conflict(await every_type_client.patch(f"{URL}/{second['id']}", json={"name": first["name"]}), "name")
    # Nothing changed; the row can still be written.
    assert (await every_type_client.get(f"{URL}/{second['id']}")).json() == second
    assert (await every_type_client.patch(f"{URL}/{second['id']}", json={"name": "Grace H."})).status_code == 200


async def test_a_reference_to_a_missing_row_is_409_naming_the_field(every_type_client: AsyncClient) -> None:
    assert_conflict(await every_type_client.post(URL, json={"name": "Ada", "parent_id": MISSING_ID}), "parent_id")
    created = (await every_type_client.post(URL, json={"name": "Ada"})).json()
    response = await every_type_client.patch(f"{URL}/{created['id']}", json={"parent_id": MISSING_ID})
    assert_conflict(response, "parent_id")


async def test_a_read_nests_the_row_it_references_in_one_statement(
    every_type_client: AsyncClient, connection: AsyncConnection, engine: AsyncEngine
) -> None:
    parent_id = await make_parent(connection)
    created = (await every_type_client.post(URL, json={"name": "Ada", "parent_id": parent_id})).json()
    assert created["parent"]["id"] == parent_id
    assert created["parent"]["name"] == "Ada"
    orphan = (await every_type_client.post(URL, json={"name": "Grace"})).json()
    assert orphan["parent"] is None
    with count_statements(engine) as statements:
        assert (await every_type_client.get(f"{URL}/{created['id']}")).json() == created
        assert (await every_type_client.get(URL)).json()["items"] == [created, orphan]
    assert len(selects(statements)) == 2, statements


async def test_a_referenced_row_cannot_be_deleted(every_type_client: AsyncClient, connection: AsyncConnection) -> None:
    parent_id = await make_parent(connection)
    created = (await every_type_client.post(URL, json={"name": "Ada", "parent_id": parent_id})).json()
    with pytest.raises(RowInUseError):
        async with connection.begin_nested():
            await parent_rows.delete(connection, key(parent_id))
    assert (await every_type_client.delete(f"{URL}/{created['id']}")).status_code == 204
    assert await parent_rows.delete(connection, key(parent_id)) is True
    assert await parent_rows.delete(connection, key(parent_id)) is False


async def test_an_empty_update_writes_nothing(connection: AsyncConnection, every_type_client: AsyncClient) -> None:
    created = (await every_type_client.post(URL, json={"name": "Ada"})).json()
    unchanged = await rows.update(connection, key(created["id"]), {})
    assert unchanged is not None
    assert unchanged.model_dump(mode="json") == created
    assert await rows.update(connection, key(MISSING_ID), {}) is None
