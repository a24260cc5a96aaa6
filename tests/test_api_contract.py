"""The API as a product for its callers: `<domain>_<action>` operation ids, `openapi.json`
committed at the service's root and rewritten by every change, `fastapi-domains openapi
[--check]` and the service's own drift test, and typed clients generated from the contract and
driven against the served API (Python on SQLite and PostgreSQL; TypeScript compiled by tsc)."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args

# Five domains with auth: items (the example), customers, categories (a self-reference), products
# (a reference), orders (owned by the signed-in user, a reference to customers).
DOMAINS = (
    domain_args("customers", "name:str", "email:email:unique"),
    domain_args("categories", "title:str", "parent_id:ref:categories:optional"),
    domain_args("products", "label:str", "category_id:ref:categories"),
    (*domain_args("orders", "note:str", "customer_id:ref:customers"), "--access", "owner"),
)
ID = re.compile(r"^(?P<domain>[a-z][a-z0-9_]*?)_(?P<action>[a-z0-9]+(_[a-z0-9]+)*)$")


def in_env(service_env: support.ServiceEnv) -> dict[str, str]:
    """The CLI runs the service's code in the shared environment, as in one `uv sync` made."""
    return {"UV_PROJECT_ENVIRONMENT": str(service_env.root)}


@pytest.fixture(scope="module")
def service(template: Path, tmp_path_factory: pytest.TempPathFactory, service_env: support.ServiceEnv) -> Path:
    service = copy_service(template, tmp_path_factory.mktemp("contract") / "acme", "auth=jwt")
    # The first commit holds the contract, written before any `uv sync` (no environment yet).
    assert "openapi.json" in support.git(service, "ls-files").stdout.split()
    for args in DOMAINS:
        cli("domain", *args, "--no-input", cwd=service, env=in_env(service_env))
    support.commit_all(service, "Five domains")
    return service


def git_state(service: Path) -> str:
    return support.git(service, "status", "--porcelain", "--untracked-files=all").stdout


def document(service: Path) -> dict:
    return json.loads((service / "openapi.json").read_text())


def operations(spec: dict) -> dict[str, tuple[str, str, str]]:
    """operation id -> (method, path, tag)."""
    return {
        operation["operationId"]: (method, path, operation["tags"][0])
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }


def test_operation_ids_are_domain_and_action_and_unique(service: Path) -> None:
    spec = document(service)
    found = operations(spec)
    assert len(found) == sum(len(methods) for methods in spec["paths"].values())  # unique
    for operation_id, (_, _, tag) in found.items():
        match = ID.match(operation_id)
        assert match and operation_id.startswith(f"{tag}_"), operation_id
    for domain in ("items", "customers", "categories", "products", "orders"):
        assert {f"{domain}_{action}" for action in ("list", "create", "get", "update", "delete")} <= set(found)
    assert found["categories_list_of_category"][1] == "/categories/{parent_id}/categories"
    assert found["products_list_of_category"][1] == "/categories/{category_id}/products"
    assert found["orders_create"][:2] == ("post", "/orders")
    assert {"auth_login", "auth_register", "auth_get_me", "health_live", "health_check"} <= set(found)


def test_the_contract_is_sorted_stable_and_compact(service: Path) -> None:
    text = (service / "openapi.json").read_text()
    spec = json.loads(text)
    assert list(spec) == sorted(spec) and list(spec["paths"]) == sorted(spec["paths"])
    # One line per operation and per schema.
    assert len(text.splitlines()) < 4 * (len(spec["paths"]) + len(spec["components"]["schemas"]))
    assert cli("openapi", cwd=service).returncode == 0
    assert git_state(service) == ""  # written again, byte for byte the same


def test_ids_are_the_same_with_a_prefix_and_on_postgresql(service: Path, service_env: support.ServiceEnv) -> None:
    probe = textwrap.dedent("""
        import json, os
        from src.config import Settings
        from src.main import create_app
        spec = create_app(Settings(_env_file=None, API_PREFIX=os.environ["PREFIX"])).openapi()
        print(json.dumps({op["operationId"]: path.removeprefix(os.environ["PREFIX"])
                          for path, methods in spec["paths"].items() for op in methods.values()}))
    """)
    python = service_env.tool("python")
    run = [python, "-c", probe]
    plain = support.run(*run, cwd=service, env={"PREFIX": ""}).stdout
    prefixed = support.run(*run, cwd=service, env={"PREFIX": "/api/v2", "DATABASE_URL": support.pg_url("any")}).stdout
    assert json.loads(plain) == json.loads(prefixed)
    assert json.loads(plain) == {
        operation_id: path for operation_id, (_, path, _) in operations(document(service)).items()
    }


def test_drift_fails_check_and_suite_naming_the_path_until_rewritten(
    service: Path, service_env: support.ServiceEnv
) -> None:
    router = service / "src" / "customers" / "router.py"
    source = router.read_text()
    router.write_text(source.replace('summary="List customers"', 'summary="List every customer"'))
    try:
        before = git_state(service)
        result = cli("openapi", "--check", cwd=service, check=False, env=in_env(service_env))
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "paths./customers.get.summary" in result.stderr, result.stderr
        assert git_state(service) == before
        suite = subprocess.run(
            [
                service_env.tool("python"),
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/contract/test_openapi.py",
            ],
            cwd=service,
            capture_output=True,
            text=True,
            check=False,
        )
        assert suite.returncode == 1 and "paths./customers.get.summary" in suite.stdout, suite.stdout[-2000:]
        checked = cli("check", cwd=service, check=False, env=in_env(service_env))
        assert checked.returncode == 1, checked.stdout
        assert "Metadata: openapi.json is the app's OpenAPI document" in checked.stdout
        assert "paths./customers.get.summary" in checked.stdout
        assert cli("openapi", cwd=service, env=in_env(service_env)).returncode == 0
        assert "List every customer" in (service / "openapi.json").read_text()
        assert cli("openapi", "--check", cwd=service, env=in_env(service_env)).stdout.strip().endswith("document")
    finally:
        router.write_text(source)
        support.git(service, "checkout", "--", "openapi.json")


def test_field_and_remove_rewrite_the_contract(
    template: Path, tmp_path: Path, service: Path, service_env: support.ServiceEnv
) -> None:
    copy = tmp_path / "acme"
    shutil.copytree(service, copy, symlinks=True)
    env = in_env(service_env)
    added = cli("field", "add", "customers", "phone:str:optional", cwd=copy, env=env)
    assert "openapi.json rewritten" in added.stdout
    assert "phone" in document(copy)["components"]["schemas"]["CustomerCreate"]["properties"]
    support.commit_all(copy, "phone")
    cli("field", "remove", "customers", "phone", "--yes", cwd=copy, env=env)
    assert "phone" not in document(copy)["components"]["schemas"]["CustomerCreate"]["properties"]
    support.commit_all(copy, "no phone")
    cli("remove", "products", "--yes", cwd=copy, env=env)
    assert not [path for path in document(copy)["paths"] if "products" in path]
    support.commit_all(copy, "no products")
    assert cli("openapi", "--check", cwd=copy, env=env).returncode == 0
    # The service's own drift test agrees (its whole suite after field changes: tests/test_cli_field_*.py).
    contract = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/contract/test_openapi.py")
    support.run(service_env.tool("python"), *contract, cwd=copy)


REFUSALS = {
    "openapi outside a service": (("openapi",), "is not a service generated by fastapi-domains"),
    "check outside a service": (("openapi", "--check"), "is not a service generated by fastapi-domains"),
    "client outside a service": (("client", "python"), "is not a service generated by fastapi-domains"),
    "unknown language": (("client", "rust"), "argument language: invalid choice: 'rust'"),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals_outside_a_service(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = cli(*args, cwd=tmp_path, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("fastapi-domains: error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def without_node(tmp_path: Path) -> dict[str, str]:
    """A PATH with uv and git, and no Node.js."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("uv", "uvx", "git"):
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    return {"PATH": str(bin_dir)}


def test_client_refusals_change_nothing(service: Path, tmp_path: Path) -> None:
    cases = [
        (("client", "python", "--out", "README.md"), {}, "README.md is a file, not a folder for the client"),
        (("client", "typescript", "--out", "src"), {}, "holds other files (no sdk.gen.ts)"),
        (("client", "typescript"), without_node(tmp_path), "Node.js is not installed"),
        (("client", "python"), {}, "has no openapi.json: write it first with `fastapi-domains openapi`"),
    ]
    try:
        for args, env, message in cases:
            if "has no openapi.json" in message:
                (service / "openapi.json").rename(tmp_path / "openapi.json")
            before = git_state(service)
            result = subprocess.run(
                [sys.executable, "-m", "fastapi_domains.cli", *args],
                cwd=service,
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=False,
            )
            assert (result.returncode, result.stdout) == (1, ""), (args, result.stderr)
            assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
            assert git_state(service) == before
    finally:
        if (tmp_path / "openapi.json").exists():
            (tmp_path / "openapi.json").rename(service / "openapi.json")


DRIVE = """
import sys
from acme_shop_client import AuthenticatedClient, Client
from acme_shop_client.api.auth import auth_login, auth_register
from acme_shop_client.api.customers import customers_create, customers_get, customers_list
from acme_shop_client.api.orders import orders_create
from acme_shop_client.models import AuthLoginLoginForm, CustomerCreate, CustomerRead, ErrorResponse, OrderCreate
from acme_shop_client.models import UserCreate

base, email, password = sys.argv[1], "ann@example.com", "correct horse battery"
anonymous = Client(base_url=base)
assert auth_register.sync_detailed(client=anonymous, body=UserCreate(email, password)).status_code == 202
tokens = auth_login.sync(client=anonymous, body=AuthLoginLoginForm(password=password, username=email))
client = AuthenticatedClient(base_url=base, token=tokens.access_token)
bodies = [CustomerCreate(name=f"C{n}", email=f"c{n}@example.com") for n in range(3)]
made = [customers_create.sync(client=client, body=body) for body in bodies]
assert all(isinstance(row, CustomerRead) for row in made), made
first = customers_list.sync(client=client, limit=2)
second = customers_list.sync(client=client, limit=2, cursor=first.next_)
assert [row.name for row in first.items + second.items] == ["C0", "C1", "C2"] and second.next_ is None
missing = customers_get.sync_detailed(made[-1].id + 1000, client=client)
assert missing.status_code == 404 and isinstance(missing.parsed, ErrorResponse), missing
assert missing.parsed.error.code == "not_found"
order = orders_create.sync(client=client, body=OrderCreate(note="first", customer_id=made[0].id))
assert order.customer_id == made[0].id, order
print("driven")
"""


@pytest.fixture(scope="module")
def python_client(service: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated client, installed with `uv pip install clients/python` in an environment of its own."""
    result = cli("client", "python", cwd=service)
    assert "Wrote the python client" in result.stdout
    venv = tmp_path_factory.mktemp("client") / "venv"
    uv = shutil.which("uv")
    assert uv
    support.run(uv, "venv", "-q", "--python", sys.executable, venv, cwd=service)
    support.run(uv, "pip", "install", "-q", "--python", venv / "bin" / "python", "clients/python", cwd=service)
    return venv / "bin" / "python"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_python_client_drives_the_served_api(
    service: Path, python_client: Path, service_env: support.ServiceEnv, database: str, tmp_path: Path
) -> None:
    name = support.unique_name("fd_client")
    if database == "postgresql":
        support.create_pg_database(name)
        url = support.pg_url(name)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/client.db"
    try:
        with support.served(service, service_env, {"DATABASE_URL": url}) as base:
            assert support.run(python_client, "-c", DRIVE, base, cwd=tmp_path).stdout.strip() == "driven"
    finally:
        if database == "postgresql":
            support.drop_pg_database(name)


@pytest.mark.skipif(shutil.which("npx") is None, reason="Node.js is not installed")
def test_the_typescript_client_compiles(service: Path) -> None:
    result = cli("client", "typescript", cwd=service)
    assert "Wrote the typescript client" in result.stdout
    assert "export const customersCreate" in (service / "clients" / "typescript" / "sdk.gen.ts").read_text()
    support.run("npx", "--yes", "-p", "typescript@^5.5", "tsc", "-p", "clients/typescript", cwd=service)


COUNT = """
import asyncio, json, sys
import sqlalchemy as sa
from src import database

async def main():
    async with database.engine.connect() as connection:
        queries = json.loads(sys.argv[1]).items()
        print(json.dumps({name: await connection.scalar(sa.text(sql)) for name, sql in queries}))

asyncio.run(main())
"""
TABLES = ("item", "customer", "category", "product", "order")
QUERIES = {table: f'SELECT count(*) FROM "{table}"' for table in TABLES} | {  # noqa: S608 - our table names
    "categories with a parent": "SELECT count(*) FROM category WHERE parent_id IS NOT NULL",
    "orders of the seeded user": 'SELECT count(*) FROM "order" JOIN "user" ON "user".id = owner_id '
    "WHERE email = 'seed@example.com'",
    "products in a category": "SELECT count(*) FROM product JOIN category ON category.id = category_id",
}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_seed_fills_every_domain_once(
    service: Path, service_env: support.ServiceEnv, database: str, tmp_path: Path
) -> None:
    name = support.unique_name("fd_seed")
    if database == "postgresql":
        support.create_pg_database(name)
        env = {"DATABASE_URL": support.pg_url(name)}
    else:
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/seed.db"}
    python = service_env.tool("python")
    try:
        support.run(python, "-m", "alembic", "upgrade", "head", cwd=service, env=env)
        first = support.run(python, "-m", "src.seed", "--rows", "50", cwd=service, env=env).stdout
        assert first.splitlines()[0].startswith("items: 50 rows added") or "customers: 50 rows added" in first
        assert first.index("customers:") < first.index("orders:") and first.index("categories:") < first.index(
            "products:"
        )
        counted = json.loads(support.run(python, "-c", COUNT, json.dumps(QUERIES), cwd=service, env=env).stdout)
        assert {table: counted[table] for table in TABLES} == dict.fromkeys(TABLES, 50)
        assert 0 < counted["categories with a parent"] < 50  # the first has none to point at
        assert counted["orders of the seeded user"] == 50 and counted["products in a category"] == 50
        again = support.run(python, "-m", "src.seed", "--rows", "50", cwd=service, env=env).stdout
        assert again.count(": 0 rows added") == len(TABLES), again
        assert json.loads(support.run(python, "-c", COUNT, json.dumps(QUERIES), cwd=service, env=env).stdout) == counted
        # Refused before the database is touched (one that production's settings accept).
        elsewhere = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/production.db"}
        refused = support.run(
            python, "-m", "src.seed", cwd=service, env={"ENVIRONMENT": "production", **elsewhere}, check=False
        )
        assert (refused.returncode, refused.stdout) == (1, "")
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert "ENVIRONMENT" in refused.stderr and not (tmp_path / "production.db").exists()
        assert json.loads(support.run(python, "-c", COUNT, json.dumps(QUERIES), cwd=service, env=env).stdout) == counted
    finally:
        if database == "postgresql":
            support.drop_pg_database(name)


def test_offline_docs_serve_their_assets_from_the_service(
    template: Path, tmp_path: Path, service: Path, service_env: support.ServiceEnv
) -> None:
    """Off by default (no dependency, the CDN's pages); on, /docs and /redoc load only the app's files."""
    assert "fastapi-offline" not in (service / "pyproject.toml").read_text()
    offline = copy_service(template, tmp_path / "offline", "offline_docs=true", "example_domain=false")
    assert '"fastapi-offline>=' in (offline / "pyproject.toml").read_text()
    assert "DOCS_OFFLINE: bool = True" in (offline / "src" / "config.py").read_text()
    python = service_env.tool("python")
    tests = ("tests/test_offline_docs.py", "tests/test_docs.py", "tests/contract")
    support.run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests, cwd=offline)
    support.run(service_env.tool("ruff"), "check", "--no-cache", ".", cwd=offline)
    support.run(service_env.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=offline)
