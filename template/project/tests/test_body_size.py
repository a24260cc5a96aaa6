"""Bodies over MAX_BODY_SIZE are a 413 in the error shape, before they are parsed: declared
by Content-Length or sent in chunks, over a real socket."""

import http.client
import json
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from src.config import Settings
from src.main import create_app
from tests.live_server import serve

LIMIT = 64


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    app = create_app(Settings(_env_file=None, MAX_BODY_SIZE=LIMIT))

    @app.post("/echo")
    async def echo(payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    with serve(app) as port:
        yield port


def post(port: int, body: bytes | Iterable[bytes]) -> tuple[int, dict]:
    """POST /echo; an iterable body goes out chunked, with no Content-Length."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", "/echo", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def payload(size: int) -> bytes:
    body = json.dumps({"note": ""})
    return json.dumps({"note": "x" * (size - len(body))}).encode()


def assert_too_large(status: int, body: dict) -> None:
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert str(LIMIT) in body["error"]["message"]
    assert body["error"]["request_id"]


def test_a_body_at_the_limit_is_read(port: int) -> None:
    assert post(port, payload(LIMIT)) == (200, json.loads(payload(LIMIT)))
    assert post(port, iter([payload(LIMIT)[:10], payload(LIMIT)[10:]]))[0] == 200


def test_a_declared_length_over_the_limit_is_refused(port: int) -> None:
    assert_too_large(*post(port, payload(LIMIT + 1)))


def test_a_chunked_body_is_refused_once_it_passes_the_limit(port: int) -> None:
    body = payload(LIMIT * 4)
    assert_too_large(*post(port, (body[start : start + 16] for start in range(0, len(body), 16))))
