"""Every error response has one shape: {"error": {code, message, details, request_id}}."""

from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient

from src.exceptions import ConflictError, NotFoundError, register_exception_handlers
from src.web.request_id import HEADER, RequestIdMiddleware
from src.web.unhandled_errors import UnhandledErrorMiddleware


def _error_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RequestIdMiddleware)
    register_exception_handlers(app)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFoundError("No such thing")

    @app.get("/taken")
    async def taken() -> None:
        raise ConflictError

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("SELECT secret FROM internals")

    @app.get("/numbers/{number}")
    async def number(number: int) -> int:
        return number

    # Two routes on one path, in an included router, as every domain has them.
    things = APIRouter()

    @things.get("/things")
    async def list_things() -> list[str]:
        return []

    @things.post("/things")
    async def add_thing() -> None:
        return None

    app.include_router(things, prefix="/v1")
    return app


@pytest.fixture
async def error_client() -> AsyncIterator[AsyncClient]:
    # raise_app_exceptions=False: see the 500 the client gets, as a real server would send it.
    transport = ASGITransport(app=_error_app(), raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def assert_error(body: dict, code: str) -> dict:
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"]
    return error


async def test_domain_not_found(error_client: AsyncClient) -> None:
    response = await error_client.get("/missing")
    assert response.status_code == 404
    assert assert_error(response.json(), "not_found")["message"] == "No such thing"


async def test_conflict(error_client: AsyncClient) -> None:
    response = await error_client.get("/taken")
    assert response.status_code == 409
    assert_error(response.json(), "conflict")


async def test_validation_error_lists_fields(error_client: AsyncClient) -> None:
    response = await error_client.get("/numbers/abc")
    assert response.status_code == 422
    error = assert_error(response.json(), "validation_error")
    assert error["details"][0]["field"] == "number"
    assert error["details"][0]["message"]


async def test_unknown_route_is_not_found(error_client: AsyncClient) -> None:
    response = await error_client.get("/nowhere")
    assert response.status_code == 404
    assert_error(response.json(), "not_found")


async def test_wrong_method(error_client: AsyncClient) -> None:
    response = await error_client.delete("/missing")
    assert response.status_code == 405
    assert_error(response.json(), "method_not_allowed")
    assert response.headers["Allow"] == "GET"


async def test_wrong_method_allows_every_route_of_the_path(error_client: AsyncClient) -> None:
    for method in ("OPTIONS", "DELETE"):
        response = await error_client.request(method, "/v1/things")
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, POST"


async def test_unexpected_error_hides_internals(error_client: AsyncClient) -> None:
    response = await error_client.get("/broken")
    assert response.status_code == 500
    error = assert_error(response.json(), "internal_error")
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    assert error["message"] == "Internal server error"


async def test_request_id_is_echoed(error_client: AsyncClient) -> None:
    response = await error_client.get("/missing", headers={HEADER: "req-123"})
    assert response.headers[HEADER] == "req-123"
    assert response.json()["error"]["request_id"] == "req-123"
