"""References between domains (`FIELD:ref:DOMAIN`): a chain customers <- order_items <-
shipments added with the CLI, on SQLite and on PostgreSQL (uuid keys, API prefix), each service
passing its own suite (which checks nesting, 409s, filters, parent routes and the statement
count), lint and migrations down to base and back; the nested read served by uvicorn; the ER
diagram."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args

CUSTOMERS = domain_args("customers", "name:str", "email:str:unique")
ORDER_ITEMS = domain_args("order_items", "customer_id:ref:customers", "title:str", "price:decimal")
SHIPMENTS = domain_args("shipments", "order_item_id:ref:order_items", "carrier:str", "payer_id:ref:customers:optional")


def chained_service(template: Path, destination: Path, *data: str) -> Path:
    service = copy_service(template, destination, "example_domain=false", *data)
    for domain in (CUSTOMERS, ORDER_ITEMS, SHIPMENTS):
        cli("domain", *domain, "--no-input", cwd=service)
    support.commit_all(service, "Add related domains")
    return service


@pytest.fixture(scope="module")
def sqlite_shop(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return chained_service(template, tmp_path_factory.mktemp("refs-sqlite") / "shop")


def test_sqlite_service_passes_its_checks(sqlite_shop: Path, service_env: support.ServiceEnv, tmp_path: Path) -> None:
    service_env.checks(sqlite_shop, database_url=f"sqlite+aiosqlite:///{tmp_path}/dev.db")


def test_postgresql_service_passes_its_checks(
    template: Path, tmp_path: Path, service_env: support.ServiceEnv, pg_database: str
) -> None:
    shop = chained_service(template, tmp_path / "shop", "database=postgresql", "pk_type=uuid", "api_prefix=/api/v1")
    scratch_base = support.pg_url(support.unique_name("fd_refs"))
    service_env.checks(shop, database_url=pg_database, test_database_url=scratch_base)


def test_the_migration_has_a_named_foreign_key_and_index(sqlite_shop: Path) -> None:
    (migration,) = (sqlite_shop / "alembic" / "versions").glob("*_create_order_item.py")
    source = migration.read_text()
    # Named fk_order_item_customer_id_customer and ix_order_item_customer_id by the naming
    # convention as the migration runs (the migration checks prove the names match the models).
    assert 'sa.ForeignKey("customer.id"),' in source
    assert "index=True" in source
    answers = yaml.safe_load((sqlite_shop / ".copier" / "domain-order_items.yml").read_text())
    reference = {
        "domain": "customers",
        "entity": "customer",
        "entity_class": "Customer",
        "table": "customer",
        "label": "a customer",
    }
    assert answers["fields"][0] == {
        "name": "customer_id",
        "type": "ref",
        "optional": False,
        "unique": False,
        "max_length": None,
        "ref": reference,
        "nested": "customer",
        "example": 1,
    }


@pytest.mark.parametrize("answers_file", [None, ".copier/domain-shipments.yml"], ids=["project", "domain"])
def test_update_changes_nothing(sqlite_shop: Path, answers_file: str | None) -> None:
    extra = ["-a", answers_file] if answers_file else []
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", *extra, cwd=sqlite_shop)
    assert support.git(sqlite_shop, "status", "--porcelain").stdout == ""


@pytest.fixture(scope="module")
def served(
    sqlite_shop: Path, service_env: support.ServiceEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('served')}/shop.db"}
    with support.served(sqlite_shop, service_env, env) as base:
        yield base


def test_served_read_nests_the_customer(served: str) -> None:
    status, customer = support.request("POST", f"{served}/customers", {"name": "Ada", "email": "ada@example.com"})
    assert status == 201
    status, item = support.request(
        "POST", f"{served}/order_items", {"customer_id": customer["id"], "title": "Pen", "price": "2.5"}
    )
    assert status == 201
    assert item["customer"] == customer
    assert support.request("GET", f"{served}/order_items/{item['id']}") == (200, item)
    status, page = support.request("GET", f"{served}/customers/{customer['id']}/order_items?total=true")
    assert (status, page["items"], page["total"]) == (200, [item], 1)
    status, error = support.request("POST", f"{served}/order_items", {"customer_id": 999, "title": "x", "price": "1"})
    assert (status, error["error"]["details"][0]["field"]) == (409, "customer_id")
    status, error = support.request("DELETE", f"{served}/customers/{customer['id']}")
    assert (status, error["error"]["code"]) == (409, "conflict")


def test_diagram_shows_tables_and_references(sqlite_shop: Path) -> None:
    diagram = cli("domains", "--diagram", cwd=sqlite_shop).stdout
    assert diagram.startswith("erDiagram\n")
    assert "    order_item {\n        bigint id PK\n        bigint customer_id FK\n        string title\n" in diagram
    assert '    customer ||--o{ order_item : "customer_id"\n' in diagram
    assert '    order_item ||--o{ shipment : "order_item_id"\n' in diagram
    assert '    customer |o--o{ shipment : "payer_id"\n' in diagram


def test_domains_lists_references(sqlite_shop: Path) -> None:
    listing = cli("domains", cwd=sqlite_shop).stdout
    assert "  order_item_id:ref:order_items\n  carrier:str\n  payer_id:ref:customers:optional\n" in listing
