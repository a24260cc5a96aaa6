"""`fastapi-domains domain NAME --access LEVEL`: the answer stored and listed, and every refusal
(one line on stderr, exit code 1, no traceback, the service untouched): a level that is none, a
service without auth, and what an owner-scoped domain or the auth domain cannot be."""

import shutil
from pathlib import Path

import pytest
import yaml

from fastapi_domains import add_domain
from fastapi_domains.project import load_project
from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args, tree
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
    "field rename owner_id": (("field", "rename", "orders", "owner_id", "user_id"), "'owner_id' is the owner column"),
    "field rename to owner_id": (("field", "rename", "orders", "note", "owner_id"), "has an owner_id column already"),
    "field change owner_id": (
        ("field", "change", "orders", "owner_id:int"),
        "'owner_id' is the owner column of orders",
    ),
    "field rename in auth": (("field", "rename", "auth", "email", "mail"), "the domain 'auth' is the service's users"),
    "field add to auth": (("field", "add", "auth", "phone:str:optional"), "the domain 'auth' is the service's users"),
    "field remove from auth": (("field", "remove", "auth", "email"), "the domain 'auth' is the service's users"),
    "remove auth": (("remove", "auth"), "the domain 'auth' is the service's users"),
    "rename auth": (("rename", "auth", "users", "--yes"), "rendered by the template's auth kind at src/auth"),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals(service: Path, args: tuple[str, ...], message: str) -> None:
    if args[0] not in ("field", "remove", "rename"):
        args = ("domain", *args, "--no-input")
    assert_refused(service, args, message)


def test_access_needs_a_service_with_auth(template: Path, tmp_path: Path) -> None:
    service = copy_service(template, tmp_path / "plain", "example_domain=false")
    assert_refused(service, ("domain", *NOTES, "--access", "writes"), "--access writes needs signed-in users")


def test_access_needs_the_auth_domain(service: Path, tmp_path: Path) -> None:
    broken = Path(shutil.copytree(service, tmp_path / "acme", symlinks=True))
    (broken / ".copier" / "domain-auth.yml").unlink()
    assert_refused(broken, ("domain", *NOTES, "--access", "authenticated"), "needs the auth domain")


# ------------------------------------------------------------------------------------ access follows references

# From the least strict to the strictest: a domain references only domains at most as strict as
# itself, never an owner one (reads nest the row pointed to; writes make rows point to it).
ORDER = ("public", "writes", "authenticated", "owner")
SHORT = {"public": "pub", "writes": "wri", "authenticated": "auth", "owner": "own"}
PAIRS = [(referencing, target) for referencing in ORDER for target in ORDER]


def allowed(referencing: str, target: str) -> bool:
    return target != "owner" and ORDER.index(referencing) >= ORDER.index(target)


def refusal(referencing: str, target: str) -> str:
    if target == "owner":
        return f"references the domain '{target}_files', whose rows are private to their owners"
    return f"references the domain '{target}_files', whose access ({target}) is stricter than "


@pytest.fixture(scope="module")
def levels(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """With auth: per level, a `<level>_files` domain to point to and a `<level>_links` one that
    points to every `_files` domain the CLI lets it."""
    service = copy_service(template, tmp_path_factory.mktemp("levels") / "acme", "example_domain=false", "auth=jwt")
    for level in ORDER:
        cli("domain", *domain_args(f"{level}_files", "title:str"), "--access", level, "--no-input", cwd=service)
    for level in ORDER:
        refs = [f"{target}_file_id:ref:{target}_files" for target in ORDER if allowed(level, target)]
        cli("domain", *domain_args(f"{level}_links", "title:str", *refs), "--access", level, "--no-input", cwd=service)
    support.commit_all(service, "A domain to point to and one to point from, per access level")
    return service


def test_the_services_suite_passes_with_every_reference_allowed(
    levels: Path, service_env: support.ServiceEnv, tmp_path: Path
) -> None:
    """The service's own suite, lint and migrations pass (the nested reads, 409s and parent routes
    under each pair of rules)."""
    service_env.checks(levels, database_url=f"sqlite+aiosqlite:///{tmp_path}/dev.db")


@pytest.mark.parametrize(("referencing", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_a_new_domain_references_only_domains_at_most_as_strict(levels: Path, referencing: str, target: str) -> None:
    name = f"{SHORT[referencing]}_{SHORT[target]}_notes"
    args = ("domain", *domain_args(name, f"file_id:ref:{target}_files"), "--access", referencing, "--no-input")
    if not allowed(referencing, target):
        assert_refused(levels, args, refusal(referencing, target))
        if target != "owner":
            assert_refused(levels, args, f"of {name} ", f"than {name}'s ({referencing})", f"--access {target} or")
        return
    cli(*args, cwd=levels)
    answers = yaml.safe_load((levels / ".copier" / f"domain-{name}.yml").read_text())
    assert (answers["access"], answers["fields"][0]["ref"]["domain"]) == (referencing, f"{target}_files")


@pytest.mark.parametrize(("referencing", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_a_field_add_references_only_domains_at_most_as_strict(levels: Path, referencing: str, target: str) -> None:
    args = ("field", "add", f"{referencing}_links", f"file_id:ref:{target}_files:optional")
    if not allowed(referencing, target):
        assert_refused(levels, args, refusal(referencing, target))
        return
    before = tree(levels)
    planned = cli(*args, "--dry-run", cwd=levels).stdout
    assert f"M .copier/domain-{referencing}_links.yml" in planned
    assert tree(levels) == before


def test_the_interactive_choice_offers_only_domains_at_most_as_strict(levels: Path) -> None:
    for level in ORDER:
        offered = add_domain.referable_domains(load_project(levels), level)
        expected = [f"{target}_{kind}" for target in ORDER if allowed(level, target) for kind in ("files", "links")]
        assert [name for name in offered if name.endswith(("_files", "_links"))] == sorted(expected), level


def test_the_contract_test_names_both_domains_when_an_access_is_tightened_later(
    levels: Path, service_env: support.ServiceEnv
) -> None:
    """No command changes a domain's access; an edited answer can. `fastapi-domains check` runs
    tests/contract/test_access_rules.py, which fails naming both domains."""
    contract = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/contract/test_access_rules.py")
    support.run(service_env.tool("python"), *contract, cwd=levels)
    answers_file = levels / ".copier" / "domain-public_files.yml"
    stored = answers_file.read_text()
    try:
        answers_file.write_text(stored.replace("access: public", "access: authenticated"))
        failed = support.run(service_env.tool("python"), *contract, cwd=levels, check=False)
        assert failed.returncode == 1
        assert (
            ".copier/domain-public_links.yml: public_links.public_file_id references public_files (access "
            "authenticated) from public_links (access public): callers public_files refuses would reach its rows "
            "through public_links; make public_links at least as strict (authenticated) or remove the field"
        ) in failed.stdout
        answers_file.write_text(stored.replace("access: public", "access: owner"))
        failed = support.run(service_env.tool("python"), *contract, cwd=levels, check=False)
        assert "public_links.public_file_id references public_files, whose rows are private to their owners" in (
            failed.stdout
        )
    finally:
        answers_file.write_text(stored)


def test_renaming_an_owner_domain_renames_its_owner_key(service: Path) -> None:
    """orders (access owner) becomes purchases: the owner column's foreign key and index follow."""
    result = cli("rename", "orders", "purchases", "--dry-run", cwd=service)
    for old, new in (
        ("fk_order_owner_id_user", "fk_purchase_owner_id_user"),
        ("ix_order_owner_id", "ix_purchase_owner_id"),
    ):
        assert f'            "{old}",\n            "{new}",\n' in result.stdout
