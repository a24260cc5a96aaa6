"""A bug's exception, served by uvicorn: one 500 in the error shape, logged once with the
request id, and the client's kept-alive connection still usable."""

import http.client
import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from src.config import Settings
from src.main import create_app
from src.web import log
from src.web.request_id import HEADER
from tests.live_server import serve

PRODUCTION = {"ENVIRONMENT": "production", "DATABASE_URL": "postgresql+asyncpg://app:s3cr3t-Pa55@db.internal/app"}


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Every record, the server's own included, as JSON lines in a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    log.configure_logging(Settings(_env_file=None, **PRODUCTION), stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


@pytest.fixture
def buggy_app() -> FastAPI:
    app = create_app(Settings(_env_file=None, **PRODUCTION))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("disk on fire")

    return app


def get_boom(connection: http.client.HTTPConnection, request_id: str) -> tuple[int, dict, str | None]:
    connection.request("GET", "/boom", headers={HEADER: request_id})
    response = connection.getresponse()
    return response.status, json.loads(response.read()), response.getheader("Connection")


def test_a_bug_is_one_500_logged_once_on_a_connection_that_stays_open(buggy_app: FastAPI, logged: io.StringIO) -> None:
    with serve(buggy_app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            first = get_boom(connection, "req-bug-1")
            local_address = connection.sock.getsockname()
            second = get_boom(connection, "req-bug-2")
            # http.client reconnects silently: the same local address proves it is one connection.
            assert connection.sock.getsockname() == local_address
        finally:
            connection.close()
    for (status, body, connection_header), request_id in ((first, "req-bug-1"), (second, "req-bug-2")):
        assert (status, body["error"]["code"], body["error"]["request_id"]) == (500, "internal_error", request_id)
        assert connection_header is None
    records = [json.loads(line) for line in logged.getvalue().splitlines()]
    errors = [record for record in records if record["level"] in {"ERROR", "CRITICAL"}]
    assert [(error["logger"], error["request_id"]) for error in errors] == [
        ("src.web.unhandled_errors", "req-bug-1"),
        ("src.web.unhandled_errors", "req-bug-2"),
    ]
    assert all("disk on fire" in error["exception"] for error in errors)
