"""Testing: requests in tests go through an `httpx.AsyncClient` on the app itself, and every
domain has its router, service and integration tests, mirroring `src/<domain>/`."""

import ast

from httpx import AsyncClient

from src.web import discovery
from tests.contract import scan

PRINCIPLE = "Testing"
DOMAIN_TESTS = ("test_router.py", "test_service.py", "test_integration.py")


async def test_the_client_fixture_is_an_async_httpx_client(client: AsyncClient) -> None:
    found = type(client).__name__
    violations = [] if isinstance(client, AsyncClient) else [f"tests/conftest.py: the `client` fixture is a {found}"]
    scan.fail_on(PRINCIPLE, "tests call the app with an httpx.AsyncClient fixture, `client`", violations)


def test_every_domain_has_its_tests() -> None:
    violations = []
    for domain in discovery.domain_names():
        for name in DOMAIN_TESTS:
            path = scan.TESTS / domain / name
            if not path.is_file():
                violations.append(f"tests/{domain}/{name}: missing")
            elif not any(
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
                for node in ast.walk(scan.syntax_tree(path))
            ):
                violations.append(f"tests/{domain}/{name}: has no test")
    scan.fail_on(PRINCIPLE, f"each domain has {', '.join(DOMAIN_TESTS)}", violations)
