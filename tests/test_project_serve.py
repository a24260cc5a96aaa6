"""A fresh service served by uvicorn: docs, health and one domain round trip over HTTP."""

import json
import re
import urllib.error
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


def test_the_document_reads_well_in_docs(served: str) -> None:
    """The description answer, a tag per domain, each error's own code, and no NUL pattern from
    which Swagger UI would invent examples."""
    status, document = support.request("GET", f"{served}/openapi.json")
    assert status == 200
    assert document["info"]["description"] == "A domain-driven FastAPI service"
    assert {"name": "items", "description": "The items domain: item records over REST."} in document["tags"]
    responses = document["paths"]["/items/{item_id}"]["patch"]["responses"]
    codes = {
        key: response["content"]["application/json"]["example"]["error"]["code"]
        for key, response in responses.items()
        if key != "200"
    }
    assert codes == {
        "400": "invalid_json",
        "404": "not_found",
        "413": "payload_too_large",
        "422": "validation_error",
        "500": "internal_error",
        "503": "service_unavailable",
    }
    patterns = re.findall(r'"pattern": "([^"]*)"', json.dumps(document))
    assert patterns and not [pattern for pattern in patterns if "x00" in pattern], patterns


def test_a_body_that_is_not_json_is_a_400_saying_where(served: str) -> None:
    body = b'{"name": "Lamp",\n "price": 19.90,,}'
    headers = {"Content-Type": "application/json"}
    outgoing = urllib.request.Request(f"{served}/items", body, headers, method="POST")  # noqa: S310 - a local server
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(outgoing, timeout=10)  # noqa: S310 - a local server
    error = json.loads(caught.value.read())["error"]
    assert caught.value.code == 400
    assert (error["code"], error["details"]) == ("invalid_json", {"line": 2, "column": 17, "position": 33})
