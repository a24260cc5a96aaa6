"""The shared list statement: page and total in one round trip, sorting, filters."""

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from src import queries

_metadata = sa.MetaData()
things = sa.Table(
    "queries_thing",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("colour", sa.String(10), nullable=False),
    sa.Column("size", sa.Integer, nullable=True),
)
READ = queries.read_statement(things)


@pytest.fixture
async def filled(connection: AsyncConnection) -> AsyncConnection:
    await connection.run_sync(_metadata.create_all)
    rows = [{"id": n, "colour": "red" if n % 2 else "blue", "size": None if n == 3 else n * 10} for n in range(1, 8)]
    await connection.execute(things.insert(), rows)
    return connection


async def test_page_and_total(filled: AsyncConnection) -> None:
    rows, total = await queries.fetch_page(filled, READ, things, sort="id", filters={}, limit=3, offset=2)
    assert [row["id"] for row in rows] == [3, 4, 5]
    assert total == 7


async def test_total_survives_an_offset_past_the_end(filled: AsyncConnection) -> None:
    rows, total = await queries.fetch_page(filled, READ, things, sort="id", filters={}, limit=3, offset=50)
    assert rows == []
    assert total == 7


async def test_filters_apply_to_rows_and_total(filled: AsyncConnection) -> None:
    red = {"colour": "red"}
    rows, total = await queries.fetch_page(filled, READ, things, sort="-id", filters=red, limit=2, offset=0)
    assert [row["id"] for row in rows] == [7, 5]
    assert total == 4


async def test_descending_sort_puts_nulls_last(filled: AsyncConnection) -> None:
    rows, _ = await queries.fetch_page(filled, READ, things, sort="-size", filters={}, limit=10, offset=0)
    assert [row["id"] for row in rows] == [7, 6, 5, 4, 2, 1, 3]


def test_statements_are_built_once() -> None:
    first = queries.page_statement(READ, things, "id", ("colour",))
    assert queries.page_statement(READ, things, "id", ("colour",)) is first
