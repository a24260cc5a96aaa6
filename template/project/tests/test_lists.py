"""Lists as every domain serves them (src/db/lists.py), over HTTP against a field of every type
(tests/every_type.py): the page, offsets and cursors, sorting (ties by id, NULLs last) and every
filter kind, each page one statement."""

from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src.db.lists import QUERY_TEXT_MAX_LENGTH
from tests.databases import count_statements
from tests.every_type import SORT_FIELDS, URL, RowCreate, RowListParams, parents, table

# Seven rows with repeated and missing values, so sorts have ties and NULLs.
ROWS: list[dict[str, Any]] = [
    {
        "name": f"Row {n} {'%' if n == 3 else '_' if n == 4 else ''}",
        "note": None if n % 3 == 0 else f"Note {n % 2}",
        "quantity": None if n == 2 else n % 3,
        "ratio": n / 4,
        "price": None if n == 5 else f"{n % 4}.50",
        "active": n % 2 == 0,
        "start_date": f"2024-01-{n % 3 + 1:02d}",
        "seen_at": None if n == 1 else f"2024-01-01T00:00:0{n % 4}Z",
        "token": f"00000000-0000-4000-8000-00000000000{n % 2}",
        "email": f"row{n % 5}@example.com",
        "website": f"https://example.com/{n}",
        "status": ["draft", "paid", None][n % 3],
    }
    for n in range(1, 8)
]


def selects(statements: list[str]) -> list[str]:
    """The statements that read (savepoints stand in for the request's transaction)."""
    return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]


async def create_rows(client: AsyncClient, connection: AsyncConnection) -> list[dict[str, Any]]:
    """ROWS, every other one referencing a parent row, as the API shows them."""
    parent = (await connection.execute(parents.insert().returning(parents.c.id), {"name": "Parent"})).scalar_one()
    values = [
        RowCreate.model_validate(row).model_dump() | {"parent_id": parent if n % 2 else None}
        for n, row in enumerate(ROWS)
    ]
    await connection.execute(table.insert(), values)
    page = (await client.get(URL, params={"limit": 100})).json()
    assert len(page["items"]) == len(ROWS)
    return page["items"]


def ordered(rows: list[dict[str, Any]], field: str, descending: bool) -> list[Any]:
    """The ids of `rows` as a list sorted by `field` holds them: NULLs last, ties by id ascending."""
    key = Decimal if field == "price" else (lambda value: value)
    by_id = sorted(rows, key=lambda row: row["id"])
    valued = [row for row in by_id if row[field] is not None]
    empty = [row for row in by_id if row[field] is None]
    return [row["id"] for row in sorted(valued, key=lambda row: key(row[field]), reverse=descending) + empty]


async def test_a_page_has_the_envelope(every_type_client: AsyncClient, connection: AsyncConnection) -> None:
    rows = await create_rows(every_type_client, connection)
    page = (await every_type_client.get(URL, params={"limit": 3})).json()
    assert set(page) == {"items", "total", "limit", "offset", "next"}
    assert (page["items"], page["total"], page["limit"], page["offset"]) == (rows[:3], None, 3, 0)
    assert page["next"]
    assert (await every_type_client.get(URL)).json()["limit"] == 50


async def test_offsets_walk_every_row_once(every_type_client: AsyncClient, connection: AsyncConnection) -> None:
    rows = await create_rows(every_type_client, connection)
    seen = []
    for offset in range(0, 8, 3):
        page = (await every_type_client.get(URL, params={"limit": 3, "offset": offset, "total": "true"})).json()
        assert (page["total"], page["limit"], page["offset"]) == (7, 3, offset)
        seen += page["items"]
    assert seen == rows
    past_the_end = (await every_type_client.get(URL, params={"offset": 50, "total": "true"})).json()
    assert (past_the_end["items"], past_the_end["total"], past_the_end["next"]) == ([], 7, None)


@pytest.mark.parametrize("sort", ["-id", "quantity", "-price", "seen_at"])
async def test_cursors_walk_every_row_once_in_order(
    every_type_client: AsyncClient, connection: AsyncConnection, sort: str
) -> None:
    rows = await create_rows(every_type_client, connection)
    first = (await every_type_client.get(URL, params={"sort": sort})).json()["items"]
    walked, params = [], {"sort": sort, "limit": 2}
    while True:
        page = (await every_type_client.get(URL, params=params)).json()
        walked += page["items"]
        # A row added meanwhile never makes the walk skip or repeat another.
        assert (await every_type_client.post(URL, json={"name": f"Added {len(walked)}"})).status_code == 201
        if page["next"] is None:
            break
        params = {"sort": sort, "limit": 2, "cursor": page["next"]}
    known = {row["id"] for row in rows}
    assert [row["id"] for row in walked if row["id"] in known] == [row["id"] for row in first]
    assert len({row["id"] for row in walked}) == len(walked)


@pytest.mark.parametrize(
    ("params", "status_code"),
    [
        ({"cursor": "not-a-cursor"}, 404),
        ({"cursor": "WyJpZCIsbnVsbCwxXQ"}, 404),
        ({"cursor": "e30"}, 404),
        ({"sort": "-id"}, 404),
        ({"cursor": ""}, 422),
    ],
    ids=["garbage", "null-id", "not-a-list", "other-sort", "empty"],
)
async def test_a_cursor_the_list_did_not_hand_out_is_refused(
    every_type_client: AsyncClient, connection: AsyncConnection, params: dict, status_code: int
) -> None:
    await create_rows(every_type_client, connection)
    cursor = (await every_type_client.get(URL, params={"limit": 1})).json()["next"]
    response = await every_type_client.get(URL, params={"cursor": cursor, **params})
    assert response.status_code == status_code, response.text
    assert response.json()["error"]["details"][0]["field"] == "cursor"


async def test_sorting_breaks_ties_by_id_and_puts_nulls_last(
    every_type_client: AsyncClient, connection: AsyncConnection
) -> None:
    rows = await create_rows(every_type_client, connection)
    for field in ("id", "created_at", "updated_at", *SORT_FIELDS):
        for descending in (False, True):
            response = await every_type_client.get(URL, params={"sort": f"-{field}" if descending else field})
            assert response.status_code == 200, response.text
            expected = ordered(rows, field, descending)
            assert [row["id"] for row in response.json()["items"]] == expected, (field, descending)


async def test_every_exact_filter(every_type_client: AsyncClient, connection: AsyncConnection) -> None:
    rows = await create_rows(every_type_client, connection)
    for field in ("name", "note", "quantity", "ratio", "price", "active", "start_date", "seen_at", "token"):
        for wanted in {row[field] for row in rows if row[field] is not None}:
            page = (await every_type_client.get(URL, params={field: wanted, "total": "true"})).json()
            expected = [row for row in rows if row[field] == wanted]
            assert (page["items"], page["total"]) == (expected, len(expected)), (field, wanted)
    for field in ("email", "website", "status", "parent_id"):
        wanted = next(row[field] for row in rows if row[field] is not None)
        page = (await every_type_client.get(URL, params={field: wanted})).json()
        assert page["items"] == [row for row in rows if row[field] == wanted], field


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("quantity", 0, 2),
        ("price", "0.50", "2.50"),
        ("start_date", "2024-01-01", "2024-01-03"),
        ("seen_at", "2024-01-01T00:00:00Z", "2024-01-01T00:00:02Z"),
        ("ratio", 0.5, 1.5),
    ],
)
async def test_every_range_filter(
    every_type_client: AsyncClient, connection: AsyncConnection, engine: AsyncEngine, field: str, low: Any, high: Any
) -> None:
    rows = await create_rows(every_type_client, connection)
    key = Decimal if field == "price" else (lambda value: value)
    for bounds, keep in (
        (("gte", "lt"), lambda value: key(low) <= key(value) < key(high)),
        (("gt", "lte"), lambda value: key(low) < key(value) <= key(high)),
    ):
        params = {f"{field}__{bounds[0]}": low, f"{field}__{bounds[1]}": high}
        expected = [row for row in rows if row[field] is not None and keep(row[field])]
        # Walked one row a page with cursors: each page is one statement, filters and all.
        walked, paging = [], {"limit": 1}
        while True:
            with count_statements(engine) as statements:
                page = (await every_type_client.get(URL, params={**params, **paging})).json()
            assert len(selects(statements)) == 1, statements
            walked += page["items"]
            if page["next"] is None:
                break
            paging = {"limit": 1, "cursor": page["next"]}
        assert walked == expected, bounds


async def test_every_list_filter(every_type_client: AsyncClient, connection: AsyncConnection) -> None:
    rows = await create_rows(every_type_client, connection)
    for field in ("name", "quantity", "status", "parent_id"):
        wanted = list({row[field] for row in rows if row[field] is not None})[:2]
        page = (await every_type_client.get(URL, params={f"{field}__in": ",".join(map(str, wanted))})).json()
        assert page["items"] == [row for row in rows if row[field] in wanted], field


async def test_filter_text_is_bounded_so_every_url_reaches_the_app(every_type_client: AsyncClient) -> None:
    """A long text column filters by at most QUERY_TEXT_MAX_LENGTH characters (so does a list of
    names, in all): percent-encoded 4-byte characters past that would make a URL the server
    refuses before the app sees it."""
    longest = "🌍" * QUERY_TEXT_MAX_LENGTH
    assert (await every_type_client.get(URL, params={"note": longest})).json()["items"] == []
    for field, value in (("note", longest + "x"), ("name__in", "b" * (QUERY_TEXT_MAX_LENGTH + 1))):
        reply = await every_type_client.get(URL, params={field: value})
        assert reply.status_code == 422, reply.text
        assert [detail["field"] for detail in reply.json()["error"]["details"]] == [field]
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in (await every_type_client.get("/openapi.json")).json()["paths"][URL]["get"]["parameters"]
    }
    assert parameters["note"]["anyOf"][0]["maxLength"] == QUERY_TEXT_MAX_LENGTH
    assert parameters["name"]["anyOf"][0]["maxLength"] == 40  # a shorter column keeps its own limit
    assert parameters["name__in"]["maxLength"] == QUERY_TEXT_MAX_LENGTH


async def test_q_searches_every_text_field_ignoring_case(
    every_type_client: AsyncClient, connection: AsyncConnection, engine: AsyncEngine
) -> None:
    rows = await create_rows(every_type_client, connection)

    def matches(row: dict, text: str) -> bool:
        searched = ("name", "note", "email", "website")
        return any(row[field] is not None and text.lower() in row[field].lower() for field in searched)

    for needle in ("NOTE 1", "ROW3@", "example.com/5", "%", "_"):
        with count_statements(engine) as statements:
            page = (await every_type_client.get(URL, params={"q": needle, "total": "true"})).json()
        assert len(selects(statements)) == 2, statements  # The page, and the count asked for.
        expected = [row for row in rows if matches(row, needle)]
        assert expected, needle
        assert (page["items"], page["total"]) == (expected, len(expected)), needle


async def test_filters_combine(every_type_client: AsyncClient, connection: AsyncConnection) -> None:
    rows = await create_rows(every_type_client, connection)
    params = {"active": "true", "quantity__gte": 1, "q": "row"}
    page = (await every_type_client.get(URL, params={**params, "total": "true"})).json()
    expected = [row for row in rows if row["active"] and row["quantity"] is not None and row["quantity"] >= 1]
    assert (page["items"], page["total"]) == (expected, len(expected))


def test_a_list_under_its_parent_leaves_the_parent_to_the_path() -> None:
    nested = RowListParams.under("parent_id")
    assert set(RowListParams.model_fields) - set(nested.model_fields) == {"parent_id", "parent_id__in"}
    assert nested.SEARCHED == RowListParams.SEARCHED
