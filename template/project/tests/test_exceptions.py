"""The error shape where the framework answers: a body that is not JSON is the documented 400
saying where it breaks, and the OpenAPI document gives each error response its own code's example."""

import importlib
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from src.config import settings
from src.core.schemas import RequestSchema
from src.exceptions import BODY_RESPONSES, ERROR_CODES, ERROR_RESPONSES, INVALID_JSON
from src.main import create_app
from src.web import discovery


class Note(RequestSchema):
    title: str


@pytest.fixture(scope="module")
def echo_app() -> FastAPI:
    """The service with one more route that reads a JSON body (and declares what such a route answers,
    so the document has a 400 even in a service without domains)."""
    app = create_app()

    @app.post("/echo", status_code=200, responses={**ERROR_RESPONSES, **BODY_RESPONSES})
    async def echo(note: Note) -> Note:
        return note

    return app


@pytest.fixture
async def echo(echo_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=echo_app), base_url="http://test") as client:
        yield client


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"title": }', {"line": 1, "column": 11, "position": 10}),
        (b'{\n  "title": "Dune",\n  "year": 1965,\n}', {"line": 4, "column": 1, "position": 37}),
        (b'{"title": "Dune"', {"line": 1, "column": 17, "position": 16}),
        (b'{"title": "Dune"} trailing', {"line": 1, "column": 19, "position": 18}),
        (b"{'title': 'Dune'}", {"line": 1, "column": 2, "position": 1}),
    ],
)
async def test_a_body_that_is_not_json_is_a_400_saying_where(echo: AsyncClient, body: bytes, where: dict) -> None:
    response = await echo.post("/echo", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == INVALID_JSON
    assert error["details"] == where
    assert f"line {where['line']}, column {where['column']}" in error["message"]
    assert error["request_id"]


async def test_a_body_that_is_not_utf8_is_the_same_400(echo: AsyncClient) -> None:
    response = await echo.post("/echo", content=b'{"title": "\xff"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["details"]) == (INVALID_JSON, {"byte": 11})
    assert "UTF-8" in error["message"]


async def test_json_nested_too_deeply_is_the_same_400(echo: AsyncClient) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = await echo.post("/echo", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, INVALID_JSON)


async def test_well_formed_json_is_read(echo: AsyncClient) -> None:
    response = await echo.post("/echo", json={"title": "Dune"})
    assert (response.status_code, response.json()) == (200, {"title": "Dune"})


def test_each_error_response_shows_its_own_code(echo_app: FastAPI) -> None:
    document = echo_app.openapi()
    seen = set()
    for path in document["paths"].values():
        for operation in path.values():
            for key, response in operation["responses"].items():
                if int(key) < 400:
                    continue
                example = response["content"]["application/json"]["example"]["error"]
                expected = INVALID_JSON if key == "400" else ERROR_CODES[int(key)]
                assert (key, example["code"]) == (key, expected)
                assert example["message"] == response["description"]
                seen.add(key)
    assert {"400", "422", "503"} <= seen


def test_the_document_describes_the_service_and_each_domain(echo_app: FastAPI) -> None:
    document = echo_app.openapi()
    assert document["info"]["description"] == settings.APP_DESCRIPTION
    tags = {tag["name"]: tag.get("description") for tag in document["tags"]}
    assert tags["health"]
    for name in discovery.domain_names():
        docstring = importlib.import_module(f"src.{name}").__doc__
        assert tags[name] == (docstring.strip().splitlines()[0] if docstring else None)
