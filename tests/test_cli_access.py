"""`fastapi-domains domain NAME --access LEVEL`: the answer stored and listed, and every refusal
(one line on stderr, exit code 1, no traceback, the service untouched): a level that is none, a
service without auth, and what an owner-scoped domain or the auth domain cannot be."""

import shutil
from pathlib import Path

import pytest
import yaml

from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args
from tests.test_cli_field_refusals import assert_refused

CUSTOMERS = domain_args("customers", "name:str")
ORDERS = (*domain_args("orders", "customer_id:ref:customers", "note:str"), "--access", "owner")


@pytest.fixture(scope="module")
def service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """With auth: customers (public) and orders (owner, a reference to customers), committed."""
    service = copy_service(template, tmp_path_factory.mktemp("access") / "acme", "example_domain=false", "auth=jwt")
    for domain in (CUSTOMERS, ORDERS):
        cli("domain", *domain, "--no-input", cwd=service)
    support.commit_all(service, "Two domains")
    return service


def answers(service: Path, domain: str) -> dict:
    return yaml.safe_load((service / ".copier" / f"domain-{domain}.yml").read_text())


def test_the_access_is_stored_and_listed(service: Path) -> None:
    assert answers(service, "orders")["access"] == "owner"
    assert answers(service, "customers")["access"] == "public"
    assert "owner_id" in (service / "src" / "orders" / "models.py").read_text()
    assert (service / "tests" / "orders" / "test_access.py").is_file()
    assert not (service / "tests" / "customers" / "test_access.py").exists()
    listed = cli("domains", cwd=service).stdout
    assert "orders  (entity order, access owner, template " in listed
    assert "customers  (entity customer, template " in listed
    assert listed.startswith("auth  (users and tokens")
    diagram = cli("domains", "--diagram", cwd=service).stdout
    assert 'user ||--o{ order : "owner_id"' in diagram


NOTES = domain_args("notes", "title:str")
REFUSALS = {
    "unknown level": ((*NOTES, "--access", "admin"), "--access 'admin' is not an access level: choose one of public"),
    "external": (
        ("notes", "--external", "https://api.example.com", "--access", "writes"),
        "an external domain has no rows of its own to protect",
    ),
    "ref to auth": (domain_args("notes", "user_id:ref:auth"), "field 'user_id' references the auth domain"),
    "ref to owner domain": (
        domain_args("notes", "order_id:ref:orders"),
        "references the domain 'orders', whose rows are private to their owners",
    ),
    "owner_id field": ((*domain_args("notes", "owner_id:int"), "--access", "owner"), "adds an owner_id column"),
    "owner tree": (
        (*domain_args("notes", "title:str", "parent_id:ref:notes:optional"), "--access", "owner"),
        "references its own domain, and with --access owner",
    ),
    "field add ref to owner domain": (
        ("field", "add", "customers", "order_id:ref:orders:optional"),
        "whose rows are private to their owners",
    ),
    "field add owner_id": (("field", "add", "orders", "owner_id:int:optional"), "has an owner_id column already"),
    "field add to auth": (("field", "add", "auth", "phone:str:optional"), "the domain 'auth' is the service's users"),
    "field remove from auth": (("field", "remove", "auth", "email"), "the domain 'auth' is the service's users"),
    "remove auth": (("remove", "auth"), "the domain 'auth' is the service's users"),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals(service: Path, args: tuple[str, ...], message: str) -> None:
    if args[0] not in ("field", "remove"):
        args = ("domain", *args, "--no-input")
    assert_refused(service, args, message)


def test_access_needs_a_service_with_auth(template: Path, tmp_path: Path) -> None:
    service = copy_service(template, tmp_path / "plain", "example_domain=false")
    assert_refused(service, ("domain", *NOTES, "--access", "writes"), "--access writes needs signed-in users")


def test_access_needs_the_auth_domain(service: Path, tmp_path: Path) -> None:
    broken = Path(shutil.copytree(service, tmp_path / "acme", symlinks=True))
    (broken / ".copier" / "domain-auth.yml").unlink()
    assert_refused(broken, ("domain", *NOTES, "--access", "authenticated"), "needs the auth domain")
