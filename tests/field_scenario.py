"""The acceptance of `fastapi-domains field add|remove` and `remove`, as a user checks it, shared
by tests/test_cli_field_sqlite.py and tests/test_cli_field_postgresql.py (uuid keys), each of
which names its database in a `database_kind` fixture and takes the tests below, in order.

A service gets customers and order_items (a reference), is migrated, gets rows and is committed,
then its team edits two files by hand without committing. Each field change is then checked: the
database holding rows migrates and keeps them, the hand edits are still there and lint passes.
Fields of every other type are added with `--default`; then, once for all the changes, the whole
suite runs, the migrations go down to base and back, the app's OpenAPI and `domains` show each
change, and `copier update` of each domain at its version changes nothing. Then the domains are removed
(the parent only once its child is gone)."""

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args, tree
from tests.test_update import replace_first_line

CUSTOMERS = domain_args("customers", "name:str", "email:str:unique")
ORDER_ITEMS = domain_args("order_items", "customer_id:ref:customers", "title:str", "note:text:optional")
# The team's edits, never committed before the first change.
SERVICE_DOCSTRING = '"""Customer data access, with Acme\'s rules."""\n'
ROUTER_TESTS_NOTE = "\n\n# Acme: the checkout tests follow.\n"

INSERT_ROWS = """
import asyncio
import os

from src.customers.models import customer_table
from src.database import create_engine
from src.order_items.models import order_item_table


async def main() -> None:
    engine = create_engine(os.environ["DATABASE_URL"])
    async with engine.begin() as connection:
        for name in ("Ada", "Bob"):
            customer = customer_table.insert().values(name=name, email=f"{name}@example.com")
            customer_id = (await connection.execute(customer.returning(customer_table.c.id))).scalar_one()
            item = order_item_table.insert().values(customer_id=customer_id, title="Pen", note="blue")
            await connection.execute(item)
    await engine.dispose()


asyncio.run(main())
"""
# The state of the database holding rows, in one process: alembic's steps (`["upgrade", "head"]`)
# and reads (`"read"`: every row of each table through its domain's model, and the table's
# constraint and index names) in the order given; prints the reads.
STATE = """
import asyncio
import importlib
import json
import os
import sys

import sqlalchemy as sa
from alembic.config import main as alembic

from src.database import create_engine


def constraint_names(connection: sa.Connection, table: str) -> list[str]:
    inspector = sa.inspect(connection)
    found = [inspector.get_pk_constraint(table)["name"]]
    for kind in ("unique_constraints", "foreign_keys", "indexes", "check_constraints"):
        found += [item["name"] for item in getattr(inspector, f"get_{kind}")(table)]
    return sorted(name for name in found if name)


async def read(tables: dict[str, str]) -> dict[str, dict]:
    engine = create_engine(os.environ["DATABASE_URL"])
    state = {}
    async with engine.connect() as connection:
        for domain, table in tables.items():
            rows_of = getattr(importlib.import_module(f"src.{domain}.models"), f"{table}_table")
            rows = (await connection.execute(sa.select(rows_of))).mappings().all()
            names = await connection.run_sync(constraint_names, table)
            state[domain] = {"rows": [dict(row) for row in rows], "constraints": names}
    await engine.dispose()
    return state


tables, steps = map(json.loads, sys.argv[1:])
reads = []
for step in steps:
    if step == "read":
        reads.append(asyncio.run(read(tables)))
    else:
        alembic(step)
print(json.dumps(reads, default=str))
"""
READ = "read"
OPENAPI = "import json; from src.main import app; print(json.dumps(app.openapi()))"


@dataclass(frozen=True)
class Step:
    args: tuple[str, ...]
    domain: str
    table: str
    entity_class: str
    spec: str
    # What the field holds in the rows the table had, once migrated; None: the field was removed.
    filled: tuple[object] | None

    @property
    def field(self) -> str:
        return self.spec.split(":")[0]


STEPS = {
    "phone": Step(("field", "add", "customers", "phone:str:optional"), "customers", "customer", "Customer",
                  "phone:str:optional", (None,)),
    "tier": Step(("field", "add", "customers", "tier:int", "--default", "1"), "customers", "customer", "Customer",
                 "tier:int", (1,)),
    "coupon": Step(("field", "add", "order_items", "coupon_id:ref:customers:optional"), "order_items", "order_item",
                   "OrderItem", "coupon_id:ref:customers:optional", (None,)),
    "note": Step(("field", "remove", "order_items", "note", "--yes"), "order_items", "order_item", "OrderItem",
                 "note:text:optional", None),
}  # fmt: skip


# A text with quotes, markup and non-ASCII letters, which is also a JSON object.
DOCUMENT = """{"say": "it's \\"ok\\" & <ï>"}"""
# `field add customers ... --default VALUE` of every other type, and what the service then reads
# in the rows the table had: each value as the database stores its type (a uuid without dashes
# and a datetime in UTC on SQLite, a bool as 1 or true...), read back as the service wrote it.
DEFAULTS = [
    (("nick:str", "bio:text", "level:int", "ratio:float", "price:decimal", "--default", "1"),
     {"nick": "1", "bio": "1", "level": 1, "ratio": 1.0, "price": "1.00"}),
    (("motto:str", "data:json", "--default", DOCUMENT), {"motto": DOCUMENT, "data": json.loads(DOCUMENT)}),
    (("vip:bool", "--default", "true"), {"vip": True}),
    (("status:enum:draft|paid", "--default", "paid"), {"status": "paid"}),
    (("birth_date:date", "--default", "2024-01-31"), {"birth_date": "2024-01-31"}),
    (("seen_at:datetime", "--default", "2024-01-31T11:30:00+02:00"), {"seen_at": "2024-01-31 09:30:00+00:00"}),
    (("code:uuid", "--default", "0B6F4C2E8A0E4F5B9C3D2E1F0A9B8C7D"), {"code": "0b6f4c2e-8a0e-4f5b-9c3d-2e1f0a9b8c7d"}),
]  # fmt: skip


@dataclass(frozen=True)
class Shop:
    root: Path
    env: support.ServiceEnv
    rows_url: str  # the database that holds rows
    cycle_url: str  # a database for the migrations' round trips
    suite_url: str  # where the service's own suite makes its scratch databases

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """The CLI in the service, whose environment and database (the one holding rows) it counts in."""
        counting = {"DATABASE_URL": self.rows_url, "UV_PROJECT_ENVIRONMENT": str(self.env.root)}
        return cli(*args, cwd=self.root, env=counting, check=check)

    def python(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess:
        environment = {"DATABASE_URL": url or self.cycle_url, "TEST_DATABASE_URL": self.suite_url}
        return support.run(self.env.tool("python"), *args, cwd=self.root, env=environment)

    def migrate(self, url: str, *steps: tuple[str, str]) -> None:
        """Alembic's command line with each step, run in one process."""
        self.python("-c", support.alembic_steps(*steps), url=url)

    def observe(self, tables: dict[str, str], *steps: str | tuple[str, ...]) -> list[dict[str, dict]]:
        """STATE's steps on the database holding rows: each read, by domain, of `tables` (domain: table)."""
        arguments = (json.dumps(tables), json.dumps(steps))
        return json.loads(self.python("-c", STATE, *arguments, url=self.rows_url).stdout)

    def rows(self, domain: str, table: str) -> list[dict[str, Any]]:
        """The rows of the database that holds rows, read through the domain's model."""
        return self.observe({domain: table}, READ)[0][domain]["rows"]

    def migrations(self) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in (self.root / "alembic" / "versions").glob("*.py")}

    def lint(self) -> None:
        support.run(self.env.tool("ruff"), "check", "--no-cache", ".", cwd=self.root)
        support.run(self.env.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=self.root)


@pytest.fixture(scope="module")
def shop(
    database_kind: str, template: Path, service_env: support.ServiceEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shop]:
    folder = tmp_path_factory.mktemp(f"fields-{database_kind}")
    postgresql = database_kind == "postgresql"
    data = ["example_domain=false", *(["database=postgresql", "pk_type=uuid"] if postgresql else [])]
    root = copy_service(template, folder / "shop", *data)
    for domain in (CUSTOMERS, ORDER_ITEMS):
        cli("domain", *domain, "--no-input", cwd=root)
    databases = [support.unique_name("fd_rows"), support.unique_name("fd_cycle")] if postgresql else []
    for name in databases:
        support.create_pg_database(name)
    if postgresql:
        urls = [*map(support.pg_url, databases), support.pg_url(support.unique_name("fd_suite"))]
    else:
        urls = [f"sqlite+aiosqlite:///{folder}/{name}.db" for name in ("rows", "cycle", "test")]
    shop = Shop(root, service_env, *urls)
    try:
        shop.migrate(shop.rows_url, ("upgrade", "head"))
        shop.python("-c", INSERT_ROWS, url=shop.rows_url)
        support.commit_all(root, "Customers and order items, migrated and filled")
        replace_first_line(root / "src/customers/service.py", SERVICE_DOCSTRING)
        with (root / "tests/customers/test_router.py").open("a") as tests:
            tests.write(ROUTER_TESTS_NOTE)
        yield shop
    finally:
        for name in databases:
            support.drop_pg_database(name)


@pytest.mark.parametrize("step", STEPS.values(), ids=STEPS.keys())
def test_field_change(shop: Shop, step: Step) -> None:
    before = shop.migrations()
    result = shop.cli(*step.args)
    assert result.stderr == ""
    if not step.filled:  # Both rows hold a note: said, with what a rollback needs.
        assert f"drops the column {step.table}.{step.field}: 2 rows of {step.table} hold a value in " in result.stdout
        assert "A rollback (`uv run alembic downgrade -1`) adds order_item.note back, nullable and empty" in (
            result.stdout
        )
    after = shop.migrations()
    (written,) = set(after) - set(before)
    assert {name: after[name] for name in before} == before, "an earlier migration was rewritten or deleted"
    change = f"add_{step.table}" if step.filled else f"drop_{step.table}"
    assert written.endswith(f"_{change}_{step.field}.py")
    assert f"alembic/versions/{written}" in result.stdout

    (state,) = shop.observe({step.domain: step.table}, ("upgrade", "head"), READ)
    rows = state[step.domain]["rows"]
    assert len(rows) == 2
    assert [row.get(step.field, "absent") for row in rows] == 2 * list(step.filled or ["absent"])

    assert (shop.root / "src/customers/service.py").read_text().startswith(SERVICE_DOCSTRING)
    assert (shop.root / "tests/customers/test_router.py").read_text().endswith(ROUTER_TESTS_NOTE)
    shop.lint()
    # The suite, the migrations' round trip, the API's schemas and `copier update` run once the
    # changes are made (test_every_check_passes_after_the_changes).
    support.commit_all(shop.root, f"Change {step.domain}")


def test_defaults_of_every_type_fill_the_rows(shop: Shop) -> None:
    for args, _ in DEFAULTS:
        cli("field", "add", "customers", *args, cwd=shop.root)
    shop.migrate(shop.rows_url, ("upgrade", "head"))
    rows = shop.rows("customers", "customer")
    for _, values in DEFAULTS:
        assert [{name: row[name] for name in values} for row in rows] == [values, values]


def test_every_check_passes_after_the_changes(shop: Shop) -> None:
    """The whole suite, lint and the migrations' round trip; each change in the API's schemas and
    in `domains`; and `copier update` of each domain at its version changes nothing."""
    shop.env.checks(shop.root, database_url=shop.cycle_url, test_database_url=shop.suite_url)
    schemas = json.loads(shop.python("-c", OPENAPI).stdout)["components"]["schemas"]
    listing = cli("domains", cwd=shop.root).stdout
    for step in STEPS.values():
        for schema in (f"{step.entity_class}Create", f"{step.entity_class}Read"):
            assert (step.field in schemas[schema]["properties"]) == bool(step.filled), schema
        assert (f"\n  {step.spec}\n" in listing) == bool(step.filled)
    diagram = cli("domains", "--diagram", cwd=shop.root).stdout
    assert 'customer |o--o{ order_item : "coupon_id"' in diagram
    assert " tier\n" in diagram and " note\n" not in diagram
    support.commit_all(shop.root, "Fields of every type")
    for domain in ("customers", "order_items"):
        assert_update_changes_nothing(shop, domain)


def assert_update_changes_nothing(shop: Shop, domain: str) -> None:
    """`copier update` of the domain at its version, on a committed tree, changes no file."""
    answers_file = f".copier/domain-{domain}.yml"
    commit = yaml.safe_load((shop.root / answers_file).read_text())["_commit"]
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", commit, "-a", answers_file, cwd=shop.root)
    assert support.git(shop.root, "status", "--porcelain").stdout == "", f"copier update of {domain} changed files"


def test_removing_a_referenced_domain_is_refused(shop: Shop) -> None:
    before = tree(shop.root)
    refused = cli("remove", "customers", cwd=shop.root, check=False)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        "fastapi-domains: error: the domain customers is referenced by order_items.customer_id, "
        "order_items.coupon_id: remove those fields (`fastapi-domains field remove`) or domains first\n"
    )
    assert tree(shop.root) == before


def test_removing_the_domains_leaves_a_passing_service(shop: Shop) -> None:
    before = shop.migrations()
    for domain, table in (("order_items", "order_item"), ("customers", "customer")):
        removed = shop.cli("remove", domain, "--yes")
        assert removed.stderr == ""
        assert f"remove drops the table {table}: it holds 2 rows in " in removed.stdout
        assert not (shop.root / "src" / domain).exists() and not (shop.root / "tests" / domain).exists()
        assert not (shop.root / ".copier" / f"domain-{domain}.yml").exists()
    after = shop.migrations()
    assert {name: after[name] for name in before} == before, "an earlier migration was rewritten or deleted"
    assert sorted(name.split("_", 2)[2] for name in set(after) - set(before)) == [
        "drop_table_customer.py",
        "drop_table_order_item.py",
    ]
    shop.migrate(shop.rows_url, ("upgrade", "head"))
    shop.env.checks(shop.root, database_url=shop.cycle_url, test_database_url=shop.suite_url)
    assert cli("domains", cwd=shop.root).stdout.startswith("No domains yet")
