"""Enum, email, url and JSONB fields, a domain that references itself, and the list filters
(`FIELD__gt|gte|lt|lte`, `FIELD__in`, `q`): a service with all of them passes its own checks on
SQLite and on PostgreSQL, declares them in OpenAPI, and the CLI refuses specs it cannot render."""

import json
import re
from pathlib import Path

import inflect
import pytest

from fastapi_domains import names, prompts
from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args

ORDERS = domain_args(
    "orders",
    "status:enum:draft|paid|shipped",
    "contact:email:unique",
    "site:url:optional",
    "payload:json",
    "total_price:decimal",
    "quantity:int",
    "placed_at:datetime",
    "due_date:date:optional",
    "weight:float",
)
CATEGORIES = domain_args("categories", "name:str", "parent_id:ref:categories:optional", "order_id:ref:orders:optional")


def service(template: Path, destination: Path, *data: str) -> Path:
    project = copy_service(template, destination, *data)
    for domain in (ORDERS, CATEGORIES):
        cli("domain", *domain, "--no-input", cwd=project)
    support.commit_all(project, "Add domains")
    return project


@pytest.fixture(scope="module")
def sqlite_service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return service(template, tmp_path_factory.mktemp("sqlite") / "shop")


def test_sqlite_service_passes_its_checks(
    sqlite_service: Path, service_env: support.ServiceEnv, tmp_path: Path
) -> None:
    service_env.checks(sqlite_service, database_url=f"sqlite+aiosqlite:///{tmp_path}/dev.db")


def test_postgresql_service_passes_its_checks(
    template: Path, tmp_path: Path, service_env: support.ServiceEnv, pg_database: str
) -> None:
    project = service(template, tmp_path / "shop", "database=postgresql", "pk_type=uuid")
    scratch_base = support.pg_url(support.unique_name("fd_scratch"))
    service_env.checks(project, database_url=pg_database, test_database_url=scratch_base)
    model = (project / "src" / "orders" / "models.py").read_text()
    assert 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")' in model


def test_openapi_declares_the_values_and_the_filters(sqlite_service: Path, service_env: support.ServiceEnv) -> None:
    dump = "import json; from src.main import app; print(json.dumps(app.openapi()))"
    document = json.loads(support.run(service_env.tool("python"), "-c", dump, cwd=sqlite_service).stdout)
    status = document["components"]["schemas"]["OrderCreate"]["properties"]["status"]
    assert status["enum"] == ["draft", "paid", "shipped"]
    # Email and URL fields say their format, with patterns that admit every value they take.
    contact = document["components"]["schemas"]["OrderCreate"]["properties"]["contact"]
    assert (contact["format"], contact["maxLength"]) == ("idn-email", 254)
    assert re.fullmatch(contact["pattern"], "mary.jane.watson@mail.eu.example.co.uk")
    (site, _) = document["components"]["schemas"]["OrderCreate"]["properties"]["site"]["anyOf"]
    assert (site["format"], site["maxLength"]) == ("iri", 2048)
    assert re.fullmatch(site["pattern"], "https://münchen.de/straße?q=1#top")
    parameters = {parameter["name"] for parameter in document["paths"]["/orders"]["get"]["parameters"]}
    ranges = {f"{field}__{bound}" for field in ("quantity", "placed_at", "due_date") for bound in ("gt", "lte")}
    assert ranges | {"status__in", "quantity__in", "q", "contact"} <= parameters
    assert {"contact__gt", "payload", "site__in"}.isdisjoint(parameters)
    check = (sqlite_service / "alembic" / "versions").glob("*_create_order.py")
    # Named ck_order_status by the naming convention as the migration runs.
    assert (
        'sa.CheckConstraint(sa.column("status").in_(["draft", "paid", "shipped"]), name="status")'
        in next(check).read_text()
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("status:enum",), "needs its values"),
        (("status:enum:Draft|paid",), "must be lowercase snake_case"),
        (("status:enum:paid|paid",), "a value is repeated"),
        (("status:enum:draft|paid:unique",), "an enum field cannot be unique"),
        (("q:str",), "is reserved"),
        (("name:str", "parent_id:ref:tags"), "must be optional"),
    ],
)
def test_specs_it_cannot_render_are_refused(sqlite_service: Path, fields: tuple[str, ...], message: str) -> None:
    result = cli("domain", *domain_args("tags", *fields), "--no-input", cwd=sqlite_service, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert not (sqlite_service / "src" / "tags").exists()


@pytest.mark.parametrize(
    ("plural", "entity"),
    [
        ("categories", "category"),
        ("statuses", "status"),
        ("analyses", "analysis"),
        ("people", "person"),
        ("addresses", "address"),
        ("order_items", "order_item"),
        ("staff", "staff"),
    ],
)
def test_singulars(plural: str, entity: str) -> None:
    assert names.singular(plural) == entity


# Words inflect gives "an" that are spoken with a consonant first ("a you-you-id", "a sequel-ite").
_CONSONANT_SOUND = {"uuid", "uuids", "url", "urls", "uri", "sql", "sqlite"}


def test_no_a_before_a_vowel_sound(sqlite_service: Path) -> None:
    """Summaries, messages, docstrings and test names say "an order", "an item", never "a order"."""
    cli("domain", "analyses", "--field", "title:str", "--no-input", cwd=sqlite_service)
    engine, wrong = inflect.engine(), []
    for path in sqlite_service.rglob("*"):
        if ".git" in path.parts or ".venv" in path.parts or not path.is_file() or path.suffix == ".db":
            continue
        text = path.read_text(errors="ignore").replace("_", " ")
        for match in re.finditer(r"\b[Aa] ([A-Za-z]+)", text):
            word = match.group(1)
            if word.lower() not in _CONSONANT_SOUND and engine.a(word).startswith("an "):
                wrong.append(f"{path.relative_to(sqlite_service)}: {match.group(0)}")
    assert not wrong, wrong


def test_a_reference_defaults_to_the_domain_its_name_points_to() -> None:
    assert prompts.pointed_domain("book_id", ["authors", "books", "categories"]) == "books"
    assert prompts.pointed_domain("parent_id", ["authors", "categories"]) is None
