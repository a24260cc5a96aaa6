"""Logs: JSON lines in production, readable lines locally, each with its request id."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from httpx import ASGITransport, AsyncClient
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from src.config import Settings
from src.main import create_app
from src.web import log
from src.web.request_id import HEADER, request_id_var

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


@pytest.fixture
def local_capture() -> Iterator[tuple[io.StringIO, Settings]]:
    """The same with local settings: the readable text format."""
    handler = log.configure_logging(Settings(_env_file=None, ENVIRONMENT="local"), stream := io.StringIO())
    try:
        yield stream, Settings(_env_file=None, ENVIRONMENT="local")
    finally:
        logging.getLogger().removeHandler(handler)


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


FORGED = "\n2024-01-01 00:00:00,000 INFO    src.access [-] GET /admin 200\r\x1b[2K\u2028"


async def test_text_lines_escape_what_clients_send(local_capture: tuple[io.StringIO, Settings]) -> None:
    stream, settings = local_capture
    async with AsyncClient(transport=ASGITransport(app=create_app(settings)), base_url="http://test") as client:
        await client.get("/nowhere%0A2024-01-01%2000:00:00,000%20INFO%20src.access%20forged")
    (access,) = [line for line in stream.getvalue().splitlines() if " src.access " in line]
    assert "/nowhere\\n2024-01-01 00:00:00,000 INFO src.access forged 404" in access


def test_text_escapes_every_control_character(local_capture: tuple[io.StringIO, Settings]) -> None:
    stream, _ = local_capture
    logging.getLogger("src.test").warning("name: %s", FORGED)
    (line,) = stream.getvalue().splitlines()
    assert line.endswith("name: \\n2024-01-01 00:00:00,000 INFO    src.access [-] GET /admin 200\\r\\x1b[2K\\u2028")


def test_a_traceback_stays_under_its_record(local_capture: tuple[io.StringIO, Settings]) -> None:
    stream, _ = local_capture
    try:
        raise ValueError(f"bad input {FORGED}")
    except ValueError:
        logging.getLogger("src.test").exception("failed")
    first, *traceback = stream.getvalue().splitlines()
    assert first.endswith("ERROR   src.test [-] failed")
    assert traceback[0] == "  Traceback (most recent call last):"
    assert all(line.startswith("  ") for line in traceback)


def test_json_lines_stay_one_line(capture: tuple[io.StringIO, Settings]) -> None:
    stream, _ = capture
    logging.getLogger("src.test").warning("name: %s", FORGED, extra={"field": FORGED})
    (entry,) = records(stream)
    assert entry["message"] == f"name: {FORGED}"
    assert entry["field"] == FORGED


async def test_database_errors_carry_no_values(engine: AsyncEngine) -> None:
    """Errors (and so the logs) show the statement but never the values users sent."""
    async with engine.connect() as connection:
        with pytest.raises(DBAPIError) as caught:
            await connection.execute(sa.text("SELECT :value FROM no_such_table"), {"value": "s3cret-value"})
    assert "no_such_table" in str(caught.value)
    assert "s3cret-value" not in str(caught.value)
