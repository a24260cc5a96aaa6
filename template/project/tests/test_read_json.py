"""Reads send the JSON the database builds (src/db/queries.py `json_read_statement`): for a field of
every type (tests/every_type.py), it is, once parsed, what the response model would have written."""

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db.lists import ListParams
from tests.every_type import RowListParams, RowPage, RowRead, parent_rows, parents, rows

# Each row tries the edges of one or more types: no fraction of a second and a fraction of one
# microsecond, a whole and a negative decimal, every kind of JSON document, NULL everywhere.
ROWS: list[dict[str, Any]] = [
    {"name": "nulls"},
    {
        "name": "full",
        "note": 'Ünïcode "quoted" \\ back\nslash',
        "quantity": -(2**31),
        "ratio": 0.1,
        "price": Decimal("1234567890.12"),
        "active": True,
        "start_date": dt.date(2024, 2, 29),
        "seen_at": dt.datetime(2024, 1, 31, 9, 30, tzinfo=dt.UTC),
        "token": uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e"),
        "extra": {"nested": [1, 2.5, None, True, "x"], "empty": {}},
        "email": "ada@example.com",
        "website": "https://example.com/a?b=c",
        "status": "paid",
    },
    {
        "name": "edges",
        "quantity": 2**31 - 1,
        "ratio": -1e300,
        "price": Decimal("-0.5"),
        "active": False,
        "seen_at": dt.datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        "extra": [],
        "status": "draft",
    },
    {"name": "whole", "price": Decimal(7), "ratio": 3.0, "seen_at": dt.datetime(2030, 6, 1, 0, 0, 0, 500000)},
    # Doubles whose shortest text has 17 digits, the largest and the smallest.
    {"name": "sum", "ratio": 0.1 + 0.2},
    {"name": "largest", "ratio": 1.7976931348623157e308},
    {"name": "smallest", "ratio": 5e-324},
    {"name": "third", "ratio": -1 / 3},
]


def parsed(body: bytes) -> Any:
    return json.loads(body)


@pytest.fixture
async def stored(every_type_app: FastAPI, connection: AsyncConnection) -> list[Any]:
    """The rows above (every_type_app makes the tables), the first three under a parent; their ids."""
    parent = (await connection.execute(parents.insert().returning(parents.c.id), {"name": "Parent"})).scalar_one()
    ids = []
    for number, values in enumerate(ROWS):
        row = await rows.insert(connection, {**values, "parent_id": parent if number < 3 else None})
        ids.append(row.id)
    return ids


def test_every_type_is_read_as_json_by_the_database() -> None:
    # Otherwise the tests below would compare the model with itself.
    assert rows._json_read is not None
    assert parent_rows._json_read is not None


async def test_a_row_is_what_its_model_writes(stored: list[Any], connection: AsyncConnection) -> None:
    for row_id in stored:
        model = await rows.get(connection, row_id)
        body = await rows.get_json(connection, row_id)
        assert model is not None and body is not None
        assert parsed(body.body) == parsed(RowRead.model_validate(model).model_dump_json())


@pytest.mark.parametrize("sort", ["id", "-seen_at", "price", "-name", "start_date", "token", "active", "ratio"])
async def test_a_page_is_what_its_model_writes(stored: list[Any], connection: AsyncConnection, sort: str) -> None:
    for limit in (1, 2, 50):
        params: ListParams = RowListParams(limit=limit, sort=sort, total=True)
        model = await rows.page(connection, params)
        body = await rows.page_json(connection, params)
        assert parsed(body.body) == parsed(RowPage.model_validate(model).model_dump_json())
        assert body.items == len(model.items)  # type: ignore[attr-defined]


async def test_a_parent_row_is_what_its_model_writes(stored: list[Any], connection: AsyncConnection) -> None:
    model = await rows.get(connection, stored[1])
    assert model is not None and model.parent is not None
    body = await parent_rows.get_json(connection, model.parent.id)
    assert body is not None
    assert parsed(body.body) == parsed(model.parent.model_dump_json())
