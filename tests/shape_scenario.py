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
upgrade head`, or the downgrade refused where it cannot restore the values), with the constraint
names the change gives, the hand edits are still there and lint passes. The slow checks run once
per group of changes, on the service as it then is: its whole suite, the migrations down to base and
back (every change's downgrade), the API's schemas, and `copier update` of each domain at its
version changing nothing."""

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
from tests.field_scenario import (
    OPENAPI,
    READ,
    ROUTER_TESTS_NOTE,
    SERVICE_DOCSTRING,
    Shop,
    assert_update_changes_nothing,
)
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


TABLES = {"customers": "customer", "order_items": "order_item"}
# Upgraded, read; one step down and up again, read.
ROUND_TRIP = (("upgrade", "head"), READ, ("downgrade", "-1"), ("upgrade", "head"), READ)


def rows_of(state: dict[str, dict]) -> dict[str, list[dict]]:
    return {domain: table["rows"] for domain, table in state.items()}


@pytest.mark.parametrize("rename", RENAMES.values(), ids=RENAMES.keys())
def test_field_rename(shop: Shop, rename: Rename) -> None:
    (before_state,) = shop.observe(TABLES, READ)
    before = shop.migrations()
    result = shop.cli("field", "rename", rename.domain, rename.old, rename.new)
    assert result.stderr == ""
    after = shop.migrations()
    (written,) = set(after) - set(before)
    assert {name: after[name] for name in before} == before, "an earlier migration was rewritten or deleted"
    assert written.endswith(f"_rename_{rename.table}_{rename.old}.py")
    assert f"alembic/versions/{written}" in result.stdout

    every = rows_of(before_state)
    expected = {**every, rename.domain: renamed(every[rename.domain], rename.old, rename.new)}
    upgraded, cycled = shop.observe(TABLES, *ROUND_TRIP)
    assert rows_of(upgraded) == expected and rows_of(cycled) == expected
    constraints = upgraded[rename.domain]["constraints"]
    assert set(rename.constraints) <= set(constraints), constraints
    assert not [name for name in constraints if f"_{rename.table}_{rename.old}" in name], constraints

    assert (shop.root / "src/customers/service.py").read_text().startswith(SERVICE_DOCSTRING)
    assert (shop.root / "tests/customers/test_router.py").read_text().endswith(ROUTER_TESTS_NOTE)
    shop.lint()
    support.commit_all(shop.root, f"Rename {rename.domain}.{rename.old}")


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
    command = support.alembic_steps(args)
    environment = {"DATABASE_URL": shop.rows_url}
    return support.run(shop.env.tool("python"), "-c", command, cwd=shop.root, env=environment, check=False)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_field_change(shop: Shop, change: Change) -> None:
    tables = {change.domain: change.table}
    if change.prepare:
        shop.cli(*change.prepare)
        shop.migrate(shop.rows_url, ("upgrade", "head"))
        support.commit_all(shop.root, "Prepare a change")
    (before_state,) = shop.observe(tables, READ)
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
        assert shop.observe(tables, READ) == [before_state], "a refused upgrade changed rows or constraints"
        support.git(shop.root, "reset", "-q", "--hard")
        support.git(shop.root, "clean", "-q", "-fd")
        return

    rows = before_state[change.domain]["rows"]
    expected = [change.row(row) for row in rows] if change.row else rows
    if change.no_way_back:
        (upgraded,) = shop.observe(tables, ("upgrade", "head"), READ)
        failed = alembic(shop, "downgrade", "-1")
        assert failed.returncode != 0
        assert f"RuntimeError: {change.no_way_back}" in failed.stderr
        (cycled,) = shop.observe(tables, READ)
    else:
        upgraded, cycled = shop.observe(tables, *ROUND_TRIP)
    assert upgraded[change.domain]["rows"] == expected and cycled[change.domain]["rows"] == expected
    changed = upgraded[change.domain]["constraints"]
    assert set(change.constraints) <= set(changed), changed

    assert (shop.root / "src/customers/service.py").read_text().startswith(SERVICE_DOCSTRING)
    assert f"\n  {change.args[1]}\n" in cli("domains", cwd=shop.root).stdout
    support.commit_all(shop.root, f"Change {change.domain}.{name}")


# Once the order items have an enum field: its CHECK constraint follows the new name.
LATER_RENAMES = {"enum": Rename("order_items", "order_item", "status", "state", ("ck_order_item_state",))}


@pytest.mark.parametrize("rename", LATER_RENAMES.values(), ids=LATER_RENAMES.keys())
def test_field_rename_after_the_changes(shop: Shop, rename: Rename) -> None:
    test_field_rename(shop, rename)


def test_every_check_passes_after_the_field_changes(shop: Shop) -> None:
    """The whole suite, lint and the migrations down to base and back (each change's downgrade);
    the new names in the API's schemas; `copier update` of each domain at its version changes nothing."""
    shop.env.checks(shop.root, database_url=shop.cycle_url, test_database_url=shop.suite_url)
    schemas = json.loads(shop.python("-c", OPENAPI).stdout)["components"]["schemas"]
    for rename in [*RENAMES.values(), *LATER_RENAMES.values()]:
        entity = "Customer" if rename.domain == "customers" else "OrderItem"
        for schema in (f"{entity}Create", f"{entity}Read"):
            assert rename.new in schemas[schema]["properties"] and rename.old not in schemas[schema]["properties"]
    for domain in TABLES:
        assert_update_changes_nothing(shop, domain)


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
    (before_state,) = shop.observe(TABLES, READ)
    every = rows_of(before_state)
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

    upgraded, cycled = shop.observe({"clients": "client", "order_items": "order_item"}, *ROUND_TRIP)
    by_old_name = {"customers": "clients", "order_items": "order_items"}
    assert {domain: rows_of(upgraded)[by_old_name[domain]] for domain in every} == every
    assert {domain: rows_of(cycled)[by_old_name[domain]] for domain in every} == every
    client = upgraded["clients"]["constraints"]
    assert "pk_client" in client and not [name for name in client if "customer" in name], client
    items = upgraded["order_items"]["constraints"]
    assert f"fk_order_item_{reference}_client" in items and not [name for name in items if name.endswith("_customer")]
    shop.lint()
    support.commit_all(shop.root, "Rename customers to clients")


def test_a_field_added_right_after_its_removal_may_be_a_rename(shop: Shop) -> None:
    """`field remove` of the clients' first field, then `field add clients display_name` of its spec: asked
    whether it was a rename (refused without a terminal, naming --yes and --no-rename); --yes makes
    one rename migration in place of the removal's, and the rows keep their values."""
    first = yaml.safe_load((shop.root / ".copier/domain-clients.yml").read_text())["fields"][0]
    old = first["name"]
    spec = dataclasses.replace(Field.from_answer(first), name="display_name").spec()
    (before_state,) = shop.observe({"clients": "client"}, READ)
    rows = before_state["clients"]["rows"]
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
    upgraded, cycled = shop.observe({"clients": "client"}, *ROUND_TRIP)
    expected = renamed(rows, old, "display_name")
    assert upgraded["clients"]["rows"] == expected and cycled["clients"]["rows"] == expected
    shop.lint()
    support.commit_all(shop.root, f"{old} is display_name")


def test_every_check_passes_at_the_end(shop: Shop) -> None:
    """After the domain rename and the rename question: the whole suite, lint, the migrations down to
    base and back, the routes under their new name, and `copier update` of each domain changes nothing."""
    shop.env.checks(shop.root, database_url=shop.cycle_url, test_database_url=shop.suite_url)
    paths = json.loads(shop.python("-c", OPENAPI).stdout)["paths"]
    assert any("/clients" in path for path in paths) and not any("/customers" in path for path in paths)
    for domain in ("clients", "order_items"):
        assert_update_changes_nothing(shop, domain)
