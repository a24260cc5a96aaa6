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
    with support.served(
        support.shared_render(template, tmp_path_factory.mktemp("serve") / "acme"), service_env
    ) as base:
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


def test_the_docs_page_sends_a_unique_example_as_a_new_value(served: str) -> None:
    """Swagger UI's second "Execute" of a create would send a unique field's example again (a
    409): the page's request interceptor varies the value first. Run under Node, as the browser
    runs it, on the script the page serves."""
    with urllib.request.urlopen(f"{served}/docs", timeout=10) as page:  # noqa: S310 - a local server
        html = page.read().decode()
    script = re.search(r"const UNIQUE_EXAMPLES = .*?\n(.*?)\n\s*const ui = SwaggerUIBundle", html, re.S)
    assert script, html
    rules = {
        "email": {"examples": ["ada@example.com"], "maxLength": 254},
        "website": {"examples": ["https://example.com/shop#top"], "maxLength": 2000},
        "code": {"examples": ["PLAN-2024-BASIC"], "maxLength": 14},
    }
    body = {"email": "ada@example.com", "website": "https://example.com/shop#top", "code": "PLAN-2024-BASIC", "n": 1}
    program = f"""
        const UNIQUE_EXAMPLES = {json.dumps(rules)};
        {script.group(1)}
        const send = (body, method = "POST") => freshExamples({{method, body: JSON.stringify(body)}}).body;
        console.log(JSON.stringify([
            send({json.dumps(body)}), send({json.dumps(body)}),
            send({{"email": "mine@example.org"}}), send({json.dumps(body)}, "GET"), send([1]),
        ]));
    """
    first, second, own, read, listed = json.loads(support.run("node", "-e", program, cwd=Path.cwd()).stdout)
    first, second = json.loads(first), json.loads(second)
    assert first != second
    for sent in (first, second):
        assert re.fullmatch(r"ada\+[a-z0-9]{6}@example\.com", sent["email"]), sent
        assert re.fullmatch(r"https://example\.com/shop\?v=[a-z0-9]{6}#top", sent["website"]), sent
        assert re.fullmatch(r"PLAN-20-[a-z0-9]{6}", sent["code"]), sent  # within maxLength
        assert sent["n"] == 1
    # A value the user typed, a read and a body that is not an object go as they are.
    assert (json.loads(own), json.loads(read), json.loads(listed)) == ({"email": "mine@example.org"}, body, [1])
