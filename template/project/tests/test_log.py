"""Logs: JSON lines in production, readable lines locally, each with its request id."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from httpx import ASGITransport, AsyncClient

from src import log
from src.config import Settings
from src.main import create_app
from src.request_id import HEADER, request_id_var

PRODUCTION = {"ENVIRONMENT": "production", "DATABASE_URL": "postgresql+asyncpg://app:s3cr3t-Pa55@db.internal/app"}


@pytest.fixture
def capture() -> Iterator[tuple[io.StringIO, Settings]]:
    """Route logging to a buffer with production settings; restore the handlers after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    settings = Settings(_env_file=None, **PRODUCTION)
    stream = io.StringIO()
    log.configure_logging(settings, stream)
    try:
        yield stream, settings
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_request_id(capture: tuple[io.StringIO, Settings]) -> None:
    stream, _ = capture
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("src.test").warning("stock low for %s", "apples", extra={"left": 3})
    finally:
        request_id_var.reset(token)
    (entry,) = records(stream)
    assert entry["message"] == "stock low for apples"
    assert (entry["level"], entry["logger"], entry["request_id"], entry["left"]) == ("WARNING", "src.test", "req-42", 3)
    assert entry["time"].endswith("+00:00")


def test_local_lines_are_readable() -> None:
    stream = io.StringIO()
    handler = log.configure_logging(Settings(_env_file=None, ENVIRONMENT="local"), stream)
    try:
        token = request_id_var.set("req-7")
        logging.getLogger("src.test").warning("hello")
        request_id_var.reset(token)
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip()
    assert line.endswith("WARNING src.test [req-7] hello")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


async def test_access_log_and_error_body_share_the_request_id(capture: tuple[io.StringIO, Settings]) -> None:
    stream, settings = capture
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("disk on fire")

    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom", headers={HEADER: "req-boom"})
    assert response.status_code == 500
    assert response.json()["error"]["request_id"] == "req-boom"
    assert response.headers[HEADER] == "req-boom"
    # The service's own records (the test client logs too, outside any request).
    entries = [entry for entry in records(stream) if entry["logger"].startswith("src.")]
    assert {entry["request_id"] for entry in entries} == {"req-boom"}
    error = next(entry for entry in entries if entry["level"] == "ERROR")
    assert "disk on fire" in error["exception"]
    access = next(entry for entry in entries if entry["logger"] == "src.access")
    assert (access["method"], access["path"], access["status_code"]) == ("GET", "/boom", 500)
