"""A fresh service served by uvicorn: docs, health and one domain round trip over HTTP."""

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import support


@pytest.fixture(scope="module")
def served(template: Path, service_env: support.ServiceEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with support.served(support.render(template, tmp_path_factory.mktemp("serve") / "acme"), service_env) as base:
        yield base


def test_docs_and_openapi_are_served_locally(served: str) -> None:
    with urllib.request.urlopen(f"{served}/docs", timeout=10) as docs:  # noqa: S310 - a local server
        assert docs.status == 200
    status, schema = support.request("GET", f"{served}/openapi.json")
    assert status == 200
    assert "/items" in schema["paths"]


def test_health_checks_the_database(served: str) -> None:
    assert support.request("GET", f"{served}/health") == (200, {"status": "ok", "database": "ok"})


def test_example_domain_round_trip(served: str) -> None:
    status, item = support.request("POST", f"{served}/items", {"name": "Lamp", "price": "19.90"})
    assert status == 201
    assert (item["name"], item["price"], item["description"]) == ("Lamp", "19.90", None)
    status, patched = support.request("PATCH", f"{served}/items/{item['id']}", {"description": "Warm light"})
    assert (status, patched["description"]) == (200, "Warm light")
    status, page = support.request("GET", f"{served}/items?sort=-price&total=true")
    assert (status, page["total"]) == (200, 1)
    assert support.request("DELETE", f"{served}/items/{item['id']}") == (204, None)
    status, error = support.request("GET", f"{served}/items/{item['id']}")
    assert (status, error["error"]["code"]) == (404, "not_found")
