"""The shared list statements: pages by offset and by cursor, counts, sorting, filters."""

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db import queries

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


async def page(connection: AsyncConnection, **kwargs: object) -> tuple[list[int], str | None]:
    rows, next_cursor = await queries.fetch_page(connection, READ, things, **{"filters": {}, **kwargs})
    return [row["id"] for row in rows], next_cursor


async def test_a_page_by_offset(filled: AsyncConnection) -> None:
    assert (await page(filled, sort="id", limit=3, offset=2))[0] == [3, 4, 5]
    assert await page(filled, sort="id", limit=3, offset=50) == ([], None)


async def test_filters_apply_to_pages_and_counts(filled: AsyncConnection) -> None:
    red = {"colour": "red"}
    assert (await page(filled, sort="-id", filters=red, limit=2))[0] == [7, 5]
    assert await queries.count(filled, things, red) == 4
    assert await queries.count(filled, things, {}) == 7


async def test_descending_sort_puts_nulls_last(filled: AsyncConnection) -> None:
    assert (await page(filled, sort="-size", limit=10))[0] == [7, 6, 5, 4, 2, 1, 3]


@pytest.mark.parametrize("sort", ["id", "-id", "size", "-size", "colour", "-colour"])
async def test_cursors_continue_exactly_where_the_page_ended(filled: AsyncConnection, sort: str) -> None:
    everything, _ = await page(filled, sort=sort, limit=10)
    walked, cursor = await page(filled, sort=sort, limit=2)
    while cursor is not None:
        ids, cursor = await page(filled, sort=sort, limit=2, cursor=cursor)
        walked += ids
    assert walked == everything


async def test_an_offset_after_a_cursor_skips_rows_from_there(filled: AsyncConnection) -> None:
    _, cursor = await page(filled, sort="id", limit=2)
    assert (await page(filled, sort="id", limit=2, offset=1, cursor=cursor))[0] == [4, 5]


async def test_the_last_page_has_no_next(filled: AsyncConnection) -> None:
    assert (await page(filled, sort="id", limit=7))[1] is None
    assert (await page(filled, sort="id", limit=6))[1] is not None


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("id", "%%%"),
        ("id", "bm90IGpzb24"),
        ("id", queries.encode_cursor("id", 1, 2**31)),
        ("id", queries.encode_cursor("id", 1, "1")),
        ("size", queries.encode_cursor("size", 2**31, 1)),
        ("colour", queries.encode_cursor("colour", "a\x00", 1)),
        ("colour", queries.encode_cursor("colour", None, 1)),
        ("id", queries.encode_cursor("-id", 1, 1)),
    ],
)
async def test_a_cursor_the_list_did_not_hand_out_is_refused(filled: AsyncConnection, sort: str, cursor: str) -> None:
    with pytest.raises(queries.CursorError):
        await page(filled, sort=sort, limit=2, cursor=cursor)


def test_statements_are_built_once() -> None:
    first = queries.page_statement(READ, things, "id", ("colour",))
    assert queries.page_statement(READ, things, "id", ("colour",)) is first
