"""The input contract (src/core/inputs.py) over HTTP, for a field of every type (tests/every_type.py):
each value a field refuses is a 422 naming it, in a body (POST and PATCH), a filter and a path,
and an unknown name is a 422 listing the known ones."""

import json
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response

from tests.every_type import URL, parents

UUID_KEYS = isinstance(parents.c.id.type, sa.Uuid)
MISSING_ID = "00000000-0000-4000-8000-000000000000" if UUID_KEYS else 2**53 - 1
# Path ids that are no id at all: out of the key's range, or spelled loosely.
BAD_IDS = (
    ("not-a-uuid", "0b6f4c2e8a0e4f5b9c3d2e1f0a9b8c7d", "1")
    if UUID_KEYS
    else ("x", "0", "9007199254740992", "1.5", "1_0")
)
# Each type's field, and values of the right JSON kind or not that it refuses.
REFUSED: dict[str, list[Any]] = {
    "name": [12345, "", "x" * 41, "nul \x00 inside", True],
    "note": ["nul \x00 inside", ["text"]],
    "quantity": ["not-a-number", True, "12", 1.5, 2**31],
    "ratio": ["1.5", float("nan"), float("inf")],
    "price": ["not-a-number", "1e20", "1.005", 1.5, "NaN", "12345678901.5"],
    "active": ["not-a-bool", 1, "true"],
    "start_date": ["2024-02-30", "20240131", 19000, "0001-01-01"],
    "seen_at": ["0001-01-01T00:00:00+14:00", "2024-01-31T09:30:00", 1706693400],
    "token": ["not-a-uuid", "0b6f4c2e8a0e4f5b9c3d2e1f0a9b8c7d", 1],
    "extra": ["not-json-object", {"key": float("nan")}, {"key": ["nul \x00 inside"]}, {"key\x00": 1}, 5],
    "email": ["not-an-email", "ada@example", "ada@@example.com", "ada example@example.com", 5],
    "website": ["not-a-url", "ftp://example.com/file", "https://exa mple.com", "example.com", 5],
    "status": ["no_such_value", "", 1, True],
    "parent_id": ["not-an-id", "1", True, 2**53],
}
# Query values each list filter refuses.
BAD_FILTERS = {
    "name": ["nul \x00 inside"],
    "quantity": ["1.5", "2147483648", "1_000"],
    "ratio": ["nan", "Infinity", "1e400"],
    "price": ["1e20", "1.005", ""],
    "active": ["yes", "1"],
    "start_date": ["2024-13-01", "0.5", "9999-12-31"],
    "seen_at": ["0001-01-01T00:00:00+14:00", "0.5", "2024-01-31"],
    "token": ["0b6f4c2e8a0e4f5b9c3d2e1f0a9b8c7d", "1"],
    "email": ["ada@example", "nul \x00@example.com"],
    "website": ["ftp://example.com/file"],
    "status": ["no_such_value"],
    "parent_id": ["9007199254740992", "0", "1.5", "x"],
    "quantity__gte": ["1.5"],
    "price__lt": ["1e20"],
    "start_date__gt": ["2024-13-01"],
    "seen_at__lte": ["2024-01-31"],
    "ratio__gt": ["nan"],
    "name__in": ["", "a,,b"],
    "status__in": ["no_such_value", ","],
    "quantity__in": ["1,1.5", "1,", "2147483648"],
    "parent_id__in": ["1,0", "x"],
    "q": ["", "nul \x00 inside"],
}
PAGING_REFUSALS = [
    "limit=0",
    "limit=101",
    "limit=1.5",
    "offset=-1",
    "offset=10001",
    "offset=99999999999999999999999",
    "sort=no_such_field",
    "sort=-",
    "sort=note",
    "cursor=",
]


def raw_json(body: dict) -> dict[str, Any]:
    """Request arguments for a JSON body that may hold NaN or Infinity (httpx refuses to write them)."""
    return {"content": json.dumps(body), "headers": {"Content-Type": "application/json"}}


def assert_invalid(response: Response, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("validation_error", "Invalid request")
    assert field in [detail["field"] for detail in error["details"]]


async def create(client: AsyncClient, **values: Any) -> dict[str, Any]:
    response = await client.post(URL, json={"name": "Ada", **values})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("field", REFUSED)
async def test_a_value_the_field_refuses_is_422(every_type_client: AsyncClient, field: str) -> None:
    for value in REFUSED[field]:
        assert_invalid(await every_type_client.post(URL, **raw_json({"name": "Grace", field: value})), field)
        # The body is checked before the row is looked up.
        assert_invalid(await every_type_client.patch(f"{URL}/{MISSING_ID}", **raw_json({field: value})), field)


async def test_a_refused_write_changes_nothing(every_type_client: AsyncClient) -> None:
    created = await create(every_type_client)
    url = f"{URL}/{created['id']}"
    assert_invalid(await every_type_client.patch(url, json={"quantity": 1, "price": "1.005"}), "price")
    assert_invalid(await every_type_client.post(URL, json={"name": "Grace", "quantity": "1"}), "quantity")
    assert (await every_type_client.get(url)).json() == created
    assert (await every_type_client.get(URL, params={"total": "true"})).json()["total"] == 1


@pytest.mark.parametrize("field", BAD_FILTERS)
async def test_a_filter_value_the_field_refuses_is_422(every_type_client: AsyncClient, field: str) -> None:
    for value in BAD_FILTERS[field]:
        assert_invalid(await every_type_client.get(URL, params={field: value}), field)


async def test_bad_paging_and_sorting_is_422(every_type_client: AsyncClient) -> None:
    for query in PAGING_REFUSALS:
        assert_invalid(await every_type_client.get(f"{URL}?{query}"), query.split("=")[0])


async def test_a_malformed_or_out_of_range_id_is_422(every_type_client: AsyncClient) -> None:
    for bad_id, method in [(bad_id, method) for bad_id in BAD_IDS for method in ("GET", "PATCH", "DELETE")]:
        response = await every_type_client.request(method, f"{URL}/{bad_id}", json={} if method == "PATCH" else None)
        assert_invalid(response, "row_id")


async def test_an_unknown_id_is_404(every_type_client: AsyncClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await every_type_client.request(
            method, f"{URL}/{MISSING_ID}", json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"


async def test_unknown_names_are_refused_listing_the_known_ones(every_type_client: AsyncClient) -> None:
    created = await create(every_type_client)
    for response in (
        await every_type_client.post(URL, json={"name": "Grace", "no_such_field": 1}),
        await every_type_client.patch(f"{URL}/{created['id']}", json={"no_such_field": 1}),
        await every_type_client.get(URL, params={"no_such_filter": "x"}),
    ):
        assert response.status_code == 422, response.text
        (detail,) = response.json()["error"]["details"]
        assert "no_such_" in detail["message"]
        assert "name" in detail["message"]


async def test_a_required_field_is_required_and_never_null(every_type_client: AsyncClient) -> None:
    created = await create(every_type_client)
    assert_invalid(await every_type_client.post(URL, json={"note": "no name"}), "name")
    assert_invalid(await every_type_client.patch(f"{URL}/{created['id']}", json={"name": None}), "name")
    # An optional one may be emptied; an empty PATCH changes nothing, not even updated_at.
    changed = (await every_type_client.patch(f"{URL}/{created['id']}", json={"note": "Note"})).json()
    emptied = (await every_type_client.patch(f"{URL}/{created['id']}", json={"note": None})).json()
    assert {**emptied, "updated_at": None} == {**created, "updated_at": None}
    assert emptied["updated_at"] >= changed["updated_at"] >= created["updated_at"]
    assert (await every_type_client.patch(f"{URL}/{created['id']}", json={})).json() == emptied


async def test_values_read_back_as_the_contract_spells_them(every_type_client: AsyncClient) -> None:
    created = await create(
        every_type_client,
        quantity=5.0,
        price="19.5",
        seen_at="2024-01-31T10:30:00+01:00",
        email="Ada.Lovelace@Example.COM",
        extra={"tags": ["a", 1, None]},
    )
    assert created["quantity"] == 5
    assert created["price"] == "19.50"
    assert created["seen_at"] == "2024-01-31T09:30:00Z"
    # An email is stored lowercased: unique and filtered whatever its case.
    assert created["email"] == "ada.lovelace@example.com"
    found = await every_type_client.get(URL, params={"email": "ADA.LOVELACE@example.com"})
    assert found.json()["items"] == [created]
    assert created["extra"] == {"tags": ["a", 1, None]}
