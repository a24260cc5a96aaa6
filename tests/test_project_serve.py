"""A fresh service served by uvicorn: docs, health and one domain round trip over HTTP."""

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import support


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=5) as response:  # noqa: S310 - local server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def served(template: Path, service_env: support.ServiceEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = support.render(template, tmp_path_factory.mktemp("serve") / "acme")
    support.run(service_env.tool("python"), "-m", "alembic", "upgrade", "head", cwd=service)
    port = free_port()
    server = subprocess.Popen(
        [service_env.tool("python"), "-m", "uvicorn", "src.main:app", "--port", str(port)],
        cwd=service,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if request(f"{base}/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_docs_and_openapi_are_served_locally(served: str) -> None:
    assert request(f"{served}/docs")[0] == 200
    status, body = request(f"{served}/openapi.json")
    assert status == 200
    assert "/items" in json.loads(body)["paths"]


def test_health_checks_the_database(served: str) -> None:
    assert request(f"{served}/health") == (200, b'{"status":"ok","database":"ok"}')


def test_example_domain_round_trip(served: str) -> None:
    status, body = request(f"{served}/items", "POST", {"name": "Lamp", "price": "19.90"})
    assert status == 201
    item = json.loads(body)
    assert (item["name"], item["price"], item["description"]) == ("Lamp", "19.90", None)
    status, body = request(f"{served}/items/{item['id']}", "PATCH", {"description": "Warm light"})
    assert (status, json.loads(body)["description"]) == (200, "Warm light")
    status, body = request(f"{served}/items?sort=-price")
    assert status == 200
    assert json.loads(body)["total"] == 1
    assert request(f"{served}/items/{item['id']}", "DELETE")[0] == 204
    status, body = request(f"{served}/items/{item['id']}")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
