"""The acceptance of `fastapi-domains field rename` and `field change`, as a user checks it, shared
by tests/test_cli_shape_sqlite.py and tests/test_cli_shape_postgresql.py (uuid keys), each of which
names its database in a `database_kind` fixture and takes the tests below, in order.

The service of tests/field_scenario.py (customers, and order_items referencing them; migrated,
with rows, committed, then two files edited by hand and left uncommitted) has its fields renamed:
one its order items nest in their reads, one unique, and the reference itself. Then its fields
change: unique on and off, optional to required, int to decimal, a conversion `--using` SQL, str
to text, enum values added and removed, then the enum is renamed; the changes the rows cannot take
(duplicates, nulls, an enum value in use) stop at upgrade, leaving the rows, the constraints and
the history as they were. After each change, every row of the database holding rows is as
expected (compared before and after the upgrade, and again after `alembic downgrade -1 && alembic
upgrade head`, or the downgrade refused where it cannot restore the values), the hand edits are
still there, lint, the domain's tests and the migration checks pass, and `copier update` of the
domain at its version changes nothing."""

import dataclasses
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import yaml

from fastapi_domains.fields import Field
from tests import support
from tests.field_scenario import OPENAPI, ROUTER_TESTS_NOTE, SERVICE_DOCSTRING, Shop
from tests.test_cli_domain import cli, tree
from tests.test_cli_field_refusals import assert_refused

# A module of the team's own in a domain's folder: a rename moves it as it is.
ACME_MODULE = '"""Acme\'s loyalty rules."""\n\nPOINTS_PER_ORDER = 10\n'

# The order items as the API lists them, from the database holding rows.
READ_ORDER_ITEMS = """
from fastapi.testclient import TestClient

from src.config import settings
from src.main import app

with TestClient(app) as client:
    print(client.get(f"{settings.API_PREFIX}/order_items").text)
"""

# The names of a table's constraints and indexes in the database holding rows.
CONSTRAINT_NAMES = """
import asyncio
import json
import os
import sys

import sqlalchemy as sa

from src.database import create_engine


def names(connection: sa.Connection, table: str) -> list[str]:
    inspector = sa.inspect(connection)
    found = [inspector.get_pk_constraint(table)["name"]]
    for kind in ("unique_constraints", "foreign_keys", "indexes", "check_constraints"):
        found += [item["name"] for item in getattr(inspector, f"get_{kind}")(table)]
    return sorted(name for name in found if name)


async def main() -> None:
    engine = create_engine(os.environ["DATABASE_URL"])
    async with engine.connect() as connection:
        print(json.dumps(await connection.run_sync(names, sys.argv[1])))
    await engine.dispose()


asyncio.run(main())
"""


@dataclass(frozen=True)
class Rename:
    domain: str
    table: str
    old: str
    new: str
    # What the migration does besides renaming the column: the constraint names it moves.
    constraints: tuple[str, ...] = ()


RENAMES = {
    # Read by order_items too: their reads nest the customer, with its fields.
    "nested": Rename("customers", "customer", "name", "full_name"),
    "unique": Rename("customers", "customer", "email", "contact_email", ("uq_customer_contact_email",)),
    "reference": Rename(
        "order_items",
        "order_item",
        "customer_id",
        "buyer_id",
        ("fk_order_item_buyer_id_customer", "ix_order_item_buyer_id"),
    ),
}


def renamed(rows: list[dict], old: str, new: str) -> list[dict]:
    return [{(new if key == old else key): value for key, value in row.items()} for row in rows]


@pytest.mark.parametrize("rename", RENAMES.values(), ids=RENAMES.keys())
def test_field_rename(shop: Shop, rename: Rename) -> None:
    every = {
        domain: shop.rows(domain, table) for domain, table in (("customers", "customer"), ("order_items", "order_item"))
    }
    before = shop.migrations()
    result = shop.cli("field", "rename", rename.domain, rename.old, rename.new)
    assert result.stderr == ""
    after = shop.migrations()
    (written,) = set(after) - set(before)
    assert {name: after[name] for name in before} == before, "an earlier migration was rewritten or deleted"
    assert written.endswith(f"_rename_{rename.table}_{rename.old}.py")
    assert f"alembic/versions/{written}" in result.stdout

    expected = {**every, rename.domain: renamed(every[rename.domain], rename.old, rename.new)}
    shop.migrate(shop.rows_url, ("upgrade", "head"))
    assert {
        domain: shop.rows(domain, table) for domain, table in (("customers", "customer"), ("order_items", "order_item"))
    } == expected
    constraints = json.loads(shop.python("-c", CONSTRAINT_NAMES, rename.table, url=shop.rows_url).stdout)
    assert set(rename.constraints) <= set(constraints), constraints
    assert not [name for name in constraints if f"_{rename.table}_{rename.old}" in name], constraints
    shop.migrate(shop.rows_url, ("downgrade", "-1"), ("upgrade", "head"))
    assert {
        domain: shop.rows(domain, table) for domain, table in (("customers", "customer"), ("order_items", "order_item"))
    } == expected

    assert (shop.root / "src/customers/service.py").read_text().startswith(SERVICE_DOCSTRING)
    assert (shop.root / "tests/customers/test_router.py").read_text().endswith(ROUTER_TESTS_NOTE)
    shop.lint()
    # Both domains' tests (order items nest customers) and the migration checks (models match the tables).
    shop.python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/customers", "tests/order_items",
        "tests/contract/test_migrations.py",
    )  # fmt: skip
    shop.migrate(shop.cycle_url, ("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"))

    schemas = json.loads(shop.python("-c", OPENAPI).stdout)["components"]["schemas"]
    entity = "Customer" if rename.domain == "customers" else "OrderItem"
    for schema in (f"{entity}Create", f"{entity}Read"):
        assert rename.new in schemas[schema]["properties"] and rename.old not in schemas[schema]["properties"]

    support.commit_all(shop.root, f"Rename {rename.domain}.{rename.old}")
    answers_file = f".copier/domain-{rename.domain}.yml"
    commit = yaml.safe_load((shop.root / answers_file).read_text())["_commit"]
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", commit, "-a", answers_file, cwd=shop.root)
    assert support.git(shop.root, "status", "--porcelain").stdout == "", "copier update of the domain changed files"


def test_nested_reads_follow_the_renames(shop: Shop) -> None:
    """Order items read back from the database holding rows with their customer nested under the
    reference's new key, with the customer's new field names and its values."""
    items = json.loads(shop.python("-c", READ_ORDER_ITEMS, url=shop.rows_url).stdout)["items"]
    customers = {row["id"]: row for row in shop.rows("customers", "customer")}
    assert len(items) == 2
    for item in items:
        assert "customer_id" not in item and "customer" not in item
        nested = item["buyer"]
        assert nested["id"] == item["buyer_id"]
        assert nested["full_name"] == customers[nested["id"]]["full_name"]
        assert nested["contact_email"] == customers[nested["id"]]["contact_email"]


@dataclass(frozen=True)
class Change:
    args: tuple[str, ...]  # after `field change`
    domain: str
    table: str
    # Run and migrated before the change: a field for it to change.
    prepare: tuple[str, ...] = ()
    # What the change does to a row of the table (the same row when None).
    row: Callable[[dict], dict] | None = None
    # The upgrade stops, naming what it cannot take: the table and the history as they were.
    refused: str = ""
    constraints: tuple[str, ...] = ()
    # The downgrade stops, naming what it cannot restore: the rows as the upgrade left them.
    no_way_back: str = ""


def field_to(name: str, value: Callable[[object], object]) -> Callable[[dict], dict]:
    return lambda row: {**row, name: value(row[name])}


CHANGES = {
    "unique with duplicates": Change(
        ("order_items", "title:str:unique"), "order_items", "order_item",
        refused="order_item.title: 1 value(s) held by more than one row; make them distinct first",
    ),
    "unique off": Change(("customers", "contact_email:str"), "customers", "customer"),
    "unique on": Change(("customers", "full_name:str:unique"), "customers", "customer",
                        constraints=("uq_customer_full_name",)),
    "required without default": Change(
        ("customers", "tier:int"), "customers", "customer", prepare=("field", "add", "customers", "tier:int:optional"),
        refused="customer.tier: 2 row(s) hold null; give them a value first (or make the change with --default VALUE)",
    ),
    "required with default": Change(("customers", "tier:int", "--default", "3"), "customers", "customer",
                                    row=field_to("tier", lambda _: 3)),
    "int to decimal": Change(("customers", "tier:decimal"), "customers", "customer",
                             row=field_to("tier", lambda value: f"{value}.00")),
    "using": Change(
        ("customers", "tier:int", "--using", "CAST(tier AS INTEGER)", "--yes"), "customers", "customer",
        row=field_to("tier", lambda value: int(float(value))),
        no_way_back="customer.tier: 2 row(s) hold values converted by an expression that has no way back; "
        "empty the table or restore a backup first",
    ),
    "int to float": Change(("customers", "tier:float"), "customers", "customer", row=field_to("tier", float)),
    "str to text": Change(("order_items", "title:text"), "order_items", "order_item"),
    "enum value added": Change(
        ("order_items", "status:enum:draft|paid|sent"), "order_items", "order_item",
        prepare=("field", "add", "order_items", "status:enum:draft|paid", "--default", "paid"),
        constraints=("ck_order_item_status",),
    ),
    "enum value in use removed": Change(
        ("order_items", "status:enum:draft|sent"), "order_items", "order_item",
        refused="order_item.status: 2 row(s) hold a value the field no longer allows; change them to an allowed value",
    ),
    "unused enum value removed": Change(("order_items", "status:enum:paid|sent"), "order_items", "order_item",
                                        constraints=("ck_order_item_status",)),
}  # fmt: skip


def alembic(shop: Shop, *args: str) -> subprocess.CompletedProcess:
    """Alembic on the database holding rows, failing or not."""
    command = f"from alembic.config import main; main({list(args)!r})"
    environment = {"DATABASE_URL": shop.rows_url}
    return support.run(shop.env.tool("python"), "-c", command, cwd=shop.root, env=environment, check=False)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_field_change(shop: Shop, change: Change) -> None:
    if change.prepare:
        shop.cli(*change.prepare)
        shop.migrate(shop.rows_url, ("upgrade", "head"))
        support.commit_all(shop.root, "Prepare a change")
    rows = shop.rows(change.domain, change.table)
    constraints = json.loads(shop.python("-c", CONSTRAINT_NAMES, change.table, url=shop.rows_url).stdout)
    before = shop.migrations()
    result = shop.cli("field", "change", *change.args)
    assert result.stderr == ""
    after = shop.migrations()
    (written,) = set(after) - set(before)
    assert {name: after[name] for name in before} == before, "an earlier migration was rewritten or deleted"
    name = change.args[1].split(":")[0]
    assert written.endswith(f"_change_{change.table}_{name}.py")
    assert f"alembic/versions/{written}" in result.stdout
    shop.lint()

    if change.refused:
        failed = alembic(shop, "upgrade", "head")
        assert failed.returncode != 0
        assert f"RuntimeError: {change.refused}" in failed.stderr
        assert shop.rows(change.domain, change.table) == rows
        assert json.loads(shop.python("-c", CONSTRAINT_NAMES, change.table, url=shop.rows_url).stdout) == constraints
        support.git(shop.root, "reset", "-q", "--hard")
        support.git(shop.root, "clean", "-q", "-fd")
        return

    expected = [change.row(row) for row in rows] if change.row else rows
    shop.migrate(shop.rows_url, ("upgrade", "head"))
    assert shop.rows(change.domain, change.table) == expected
    changed = json.loads(shop.python("-c", CONSTRAINT_NAMES, change.table, url=shop.rows_url).stdout)
    assert set(change.constraints) <= set(changed), changed
    if change.no_way_back:
        failed = alembic(shop, "downgrade", "-1")
        assert failed.returncode != 0
        assert f"RuntimeError: {change.no_way_back}" in failed.stderr
    else:
        shop.migrate(shop.rows_url, ("downgrade", "-1"), ("upgrade", "head"))
    assert shop.rows(change.domain, change.table) == expected

    assert (shop.root / "src/customers/service.py").read_text().startswith(SERVICE_DOCSTRING)
    shop.python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/{change.domain}", "tests/contract/test_migrations.py"
    )  # fmt: skip
    shop.migrate(shop.cycle_url, ("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"))
    assert f"\n  {change.args[1]}\n" in cli("domains", cwd=shop.root).stdout

    support.commit_all(shop.root, f"Change {change.domain}.{name}")
    answers_file = f".copier/domain-{change.domain}.yml"
    commit = yaml.safe_load((shop.root / answers_file).read_text())["_commit"]
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", commit, "-a", answers_file, cwd=shop.root)
    assert support.git(shop.root, "status", "--porcelain").stdout == "", "copier update of the domain changed files"


# Once the order items have an enum field: its CHECK constraint follows the new name.
LATER_RENAMES = {"enum": Rename("order_items", "order_item", "status", "state", ("ck_order_item_state",))}


@pytest.mark.parametrize("rename", LATER_RENAMES.values(), ids=LATER_RENAMES.keys())
def test_field_rename_after_the_changes(shop: Shop, rename: Rename) -> None:
    test_field_rename(shop, rename)


# `rename` refused, each with one line and the tree unchanged (the service has customers and order_items).
RENAME_REFUSALS = {
    "unknown domain": (("nobody", "clients"), "the service has no domain 'nobody' (its domains: "),
    "same name": (("customers", "customers"), "the domain 'customers' has that name already"),
    "name taken": (("customers", "order_items"), "the domain 'order_items' exists already"),
    "name reserved": (("customers", "health"), "domain name 'health' is reserved"),
    "name of a module": (("customers", "core"), "domain name 'core' is reserved"),
    "name invalid": (("customers", "Clients"), "domain name 'Clients' must be lowercase snake_case"),
    "no terminal": (("customers", "clients"), "rename changes the routes /customers to /clients; confirm with --yes"),
}


@pytest.mark.parametrize(("args", "message"), RENAME_REFUSALS.values(), ids=RENAME_REFUSALS.keys())
def test_domain_rename_refusals(shop: Shop, args: tuple[str, ...], message: str) -> None:
    assert_refused(shop.root, ("rename", *args), message)


def keep_the_users_side(text: str) -> str:
    """A file's conflicts resolved as the user would here: their side kept."""
    return re.sub(r"<<<<<<< before updating\n(.*?)=======\n.*?>>>>>>> after updating\n", r"\1", text, flags=re.S)


def test_domain_rename(shop: Shop) -> None:
    """customers becomes clients; order_items reference it. The service's docstring, edited by hand
    where the rename changes it too, stops the rename at a conflict, which the user resolves; the
    other edits (a note in its router tests, a module of the team's own) are carried over as they are."""
    (shop.root / "src/customers/acme.py").write_text(ACME_MODULE)
    every = {"customers": shop.rows("customers", "customer"), "order_items": shop.rows("order_items", "order_item")}
    # The field of order_items that references customers (buyer_id once the field renames ran).
    items_answers = yaml.safe_load((shop.root / ".copier/domain-order_items.yml").read_text())
    reference = next(field["name"] for field in items_answers["fields"] if field["type"] == "ref")
    before = shop.migrations()

    result = shop.cli("rename", "customers", "clients", "--yes", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "fastapi-domains: renaming the domain customers to clients (at its template version "
    )
    assert "stopped at conflicts in " in result.stderr and "\n  src/clients/service.py\n" in result.stderr
    assert "uv run alembic upgrade head" in result.stderr
    assert_refused(
        shop.root, ("rename", "order_items", "items", "--yes"), "unresolved conflicts (src/clients/service.py)"
    )
    service = shop.root / "src/clients/service.py"
    service.write_text(keep_the_users_side(service.read_text()))
    shop.cli("openapi")

    after = shop.migrations()
    (written,) = set(after) - set(before)
    assert {name: after[name] for name in before} == before, "an earlier migration was rewritten or deleted"
    assert written.endswith("_rename_table_customer.py")
    assert not (shop.root / "src/customers").exists() and not (shop.root / "tests/customers").exists()
    assert not (shop.root / ".copier/domain-customers.yml").exists()
    answers = yaml.safe_load((shop.root / ".copier/domain-clients.yml").read_text())
    derived = {"domain_name": "clients", "entity_name": "client", "entity_class": "Client", "table_name": "client"}
    assert {key: answers[key] for key in derived} == derived and answers["env_prefix"] == "CLIENTS_"
    assert service.read_text().startswith(SERVICE_DOCSTRING)
    assert (shop.root / "tests/clients/test_router.py").read_text().endswith(ROUTER_TESTS_NOTE)
    assert (shop.root / "src/clients/acme.py").read_text() == ACME_MODULE

    shop.migrate(shop.rows_url, ("upgrade", "head"))
    renamed = {"customers": ("clients", "client"), "order_items": ("order_items", "order_item")}
    assert {domain: shop.rows(*renamed[domain]) for domain in every} == every
    client = json.loads(shop.python("-c", CONSTRAINT_NAMES, "client", url=shop.rows_url).stdout)
    assert "pk_client" in client and not [name for name in client if "customer" in name], client
    items = json.loads(shop.python("-c", CONSTRAINT_NAMES, "order_item", url=shop.rows_url).stdout)
    assert f"fk_order_item_{reference}_client" in items and not [name for name in items if name.endswith("_customer")]
    shop.migrate(shop.rows_url, ("downgrade", "-1"), ("upgrade", "head"))
    assert {domain: shop.rows(*renamed[domain]) for domain in every} == every

    shop.lint()
    shop.python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/clients", "tests/order_items", "tests/contract",
    )  # fmt: skip
    shop.migrate(shop.cycle_url, ("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"))
    paths = json.loads(shop.python("-c", OPENAPI).stdout)["paths"]
    assert any("/clients" in path for path in paths) and not any("/customers" in path for path in paths)

    support.commit_all(shop.root, "Rename customers to clients")
    for domain in ("clients", "order_items"):
        answers_file = f".copier/domain-{domain}.yml"
        commit = yaml.safe_load((shop.root / answers_file).read_text())["_commit"]
        support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", commit, "-a", answers_file, cwd=shop.root)
        assert support.git(shop.root, "status", "--porcelain").stdout == "", f"copier update of {domain} changed files"


def test_a_field_added_right_after_its_removal_may_be_a_rename(shop: Shop) -> None:
    """`field remove` of the clients' first field, then `field add clients display_name` of its spec: asked
    whether it was a rename (refused without a terminal, naming --yes and --no-rename); --yes makes
    one rename migration in place of the removal's, and the rows keep their values."""
    first = yaml.safe_load((shop.root / ".copier/domain-clients.yml").read_text())["fields"][0]
    old = first["name"]
    spec = dataclasses.replace(Field.from_answer(first), name="display_name").spec()
    rows = shop.rows("clients", "client")
    before = shop.migrations()
    shop.cli("field", "remove", "clients", old, "--yes")
    (removal,) = set(shop.migrations()) - set(before)
    support.commit_all(shop.root, f"Remove {old}")
    # Counted in the database holding rows, through the service's environment, as the CLI in it does.
    unchanged = tree(shop.root)
    refused = shop.cli("field", "add", "clients", spec, check=False)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"fastapi-domains: error: clients.{old} was just removed (its migration is not applied yet) and display_name "
        f"has its spec: answer 'Was clients.{old} renamed to display_name?' with --yes (a rename: the values kept) "
        "or --no-rename (a new, empty column)\n"
    )
    assert tree(shop.root) == unchanged
    result = shop.cli("field", "add", "clients", spec, "--yes")
    assert f"D alembic/versions/{removal}" in result.stdout
    after = shop.migrations()
    (written,) = set(after) - set(before)
    assert written.endswith(f"_rename_client_{old}.py")
    shop.migrate(shop.rows_url, ("upgrade", "head"))
    assert shop.rows("clients", "client") == renamed(rows, old, "display_name")
    shop.migrate(shop.rows_url, ("downgrade", "-1"), ("upgrade", "head"))
    assert shop.rows("clients", "client") == renamed(rows, old, "display_name")
    shop.lint()
    shop.python("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/clients", "tests/contract/test_migrations.py")
    support.commit_all(shop.root, f"{old} is display_name")
    commit = yaml.safe_load((shop.root / ".copier/domain-clients.yml").read_text())["_commit"]
    support.copier_cli(
        "update", "--trust", "--defaults", "--vcs-ref", commit, "-a", ".copier/domain-clients.yml", cwd=shop.root
    )
    assert support.git(shop.root, "status", "--porcelain").stdout == "", "copier update of the domain changed files"
