"""`fastapi-domains domain` and `domains` on services from `copier copy`: the acceptance domains
on SQLite with the service's own checks (tests/test_cli_refs.py and tests/test_field_types.py run
grown services on PostgreSQL too), clean updates afterwards, a served smoke
test, and every refused input (message, exit code, files untouched)."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fastapi_domains.project import load_project
from fastapi_domains.template_source import template_source
from tests import support


def domain_args(name: str, *fields: str) -> tuple[str, ...]:
    return (name, *[part for field in fields for part in ("--field", field)])


CUSTOMERS = domain_args("customers", "name:str", "email:str:unique")
ORDER_ITEMS = domain_args(
    "order_items", "title:str", "price:decimal", "quantity:int", "shipped_at:datetime:optional", "note:text:optional"
)
# Table names that are reserved words in SQL, and the longest names the CLI accepts, with every type.
USERS = domain_args("users", "email:str:unique")
ORDERS = domain_args("orders", "placed_at:datetime", "note:text:optional")
LONG = "abcdefghijklmnopqrstuvwxyzabcd"  # 30 characters, the limit for every name
LONGEST = domain_args(
    f"{LONG[:29]}s",  # entity: 29 characters, so uq_<entity>_<30-character field> is 63 bytes
    *(f"{LONG}:str:unique", f"{LONG[:27]}_at:datetime:optional", f"{LONG[:25]}_date:date"),
    *(f"{LONG[:29]}x:decimal:unique", f"{LONG[:29]}y:json:optional", f"{LONG[:29]}z:uuid:unique"),
    *(f"{LONG[:29]}b:bool", f"{LONG[:29]}f:float", f"{LONG[:29]}i:int:unique", f"{LONG[:29]}t:text:optional"),
)
STAFF = (*domain_args("staff", "name:str"), "--entity", "staff_member")
ADDED = (CUSTOMERS, ORDER_ITEMS, USERS, ORDERS, LONGEST, STAFF)


def cli(
    *args: str | Path, cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: its own process, real exit code and stderr."""
    return support.run(sys.executable, "-m", "fastapi_domains.cli", *args, cwd=cwd, check=check, env=env)


def copy_service(template: Path, destination: Path, *data: str) -> Path:
    """`copier copy` as the README has a user type it, with `data` answers (`NAME=VALUE`): run once
    per session and answers, each caller getting a copy of its own."""

    def copy(target: Path) -> None:
        extra = [item for pair in data for item in ("--data", pair)]
        support.copier_cli(
            "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "project_name=Acme Shop", *extra,
            template, target, cwd=target.parent,
        )  # fmt: skip

    return support.rendered_once(template, data, destination, copy)


def grown_service(template: Path, destination: Path, *data: str) -> Path:
    """A fresh service with every domain of ADDED, committed (as `copier update` needs)."""
    service = copy_service(template, destination, *data)
    for domain in ADDED:
        cli("domain", *domain, "--no-input", cwd=service)
    support.commit_all(service, "Add domains")
    return service


@pytest.fixture(scope="module")
def sqlite_service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown_service(template, tmp_path_factory.mktemp("sqlite") / "acme")


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder under root, .git included."""
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else None for path in sorted(root.rglob("*"))
    }


# ------------------------------------------------------------------------------------ acceptance


def test_sqlite_service_with_new_domains_passes_its_checks(
    sqlite_service: Path, service_env: support.ServiceEnv, tmp_path: Path
) -> None:
    service_env.checks(sqlite_service, database_url=f"sqlite+aiosqlite:///{tmp_path}/dev.db")


def test_every_domain_gets_code_tests_and_a_migration(sqlite_service: Path) -> None:
    pairs = [("customers", "customer"), ("order_items", "order_item"), ("users", "user"), ("staff", "staff_member")]
    for domain, entity in pairs:
        for module in ("router", "schemas", "models", "service", "dependencies"):
            assert (sqlite_service / "src" / domain / f"{module}.py").is_file()
        for test in ("test_router", "test_service", "test_integration"):
            assert "async def test_" in (sqlite_service / "tests" / domain / f"{test}.py").read_text()
        (migration,) = (sqlite_service / "alembic" / "versions").glob(f"*_create_{entity}.py")
        assert f'op.drop_table("{entity}")' in migration.read_text()


def test_answers_record_every_value_and_chain_the_migrations(sqlite_service: Path) -> None:
    project = yaml.safe_load((sqlite_service / ".copier-answers.yml").read_text())
    answers = {
        path.name: yaml.safe_load(path.read_text()) for path in (sqlite_service / ".copier").glob("domain-*.yml")
    }
    items, customers = answers["domain-items.yml"], answers["domain-customers.yml"]
    order_items = answers["domain-order_items.yml"]
    assert (customers["_src_path"], customers["_commit"]) == (project["_src_path"], project["_commit"])
    # The service's own table comes first; every domain's migration follows it.
    (own,) = (sqlite_service / "alembic" / "versions").glob(f"*_{items['down_revision']}_create_idempotency_key.py")
    assert "down_revision: str | Sequence[str] | None = None\n" in own.read_text()
    assert customers["down_revision"] == items["revision_id"]
    assert order_items["down_revision"] == customers["revision_id"]
    assert (order_items["entity_name"], order_items["entity_class"]) == ("order_item", "OrderItem")
    assert [field["name"] for field in order_items["fields"]] == ["title", "price", "quantity", "shipped_at", "note"]
    assert order_items["fields"][3] == {
        "name": "shipped_at",
        "type": "datetime",
        "optional": True,
        "unique": False,
        "max_length": None,
        "example": "2024-05-17T09:30:00Z",
    }
    for key in ("database", "pk_type", "revision_id", "migration_date", "table_name"):
        assert customers[key], key


@pytest.mark.parametrize("answers_file", [None, ".copier/domain-customers.yml"], ids=["project", "domain"])
def test_update_after_adding_domains_changes_nothing(sqlite_service: Path, answers_file: str | None) -> None:
    def generated() -> list[dict[str, bytes | None]]:
        return [tree(sqlite_service / folder) for folder in ("src", "tests", "alembic", ".copier")]

    before = generated()
    extra = ["-a", answers_file] if answers_file else []
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", *extra, cwd=sqlite_service)
    assert support.git(sqlite_service, "status", "--porcelain").stdout == ""
    assert generated() == before


def test_domains_lists_fields_and_template_version(sqlite_service: Path) -> None:
    commit = yaml.safe_load((sqlite_service / ".copier-answers.yml").read_text())["_commit"]
    listing = cli("domains", "--project", sqlite_service, cwd=sqlite_service.parent).stdout
    assert f"customers  (entity customer, template {commit})\n  name:str\n  email:str:unique\n" in listing
    assert "  shipped_at:datetime:optional\n  note:text:optional\n" in listing
    assert listing.index("customers") < listing.index("items") < listing.index("order_items")


# ------------------------------------------------------------------------------------ served


@pytest.fixture(scope="module")
def served(
    sqlite_service: Path, service_env: support.ServiceEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('served')}/served.db"}
    with support.served(sqlite_service, service_env, env) as base:
        yield base


def test_served_domains_answer_crud_and_list(served: str) -> None:
    url = f"{served}/customers"
    status, created = support.request("POST", url, {"name": "Ada", "email": "ada@example.com"})
    assert status == 201 and created["email"] == "ada@example.com"
    assert support.request("POST", url, {"name": "Eve", "email": "ada@example.com"})[0] == 409
    assert support.request("POST", url, {"name": "Eve"})[0] == 422
    assert support.request("GET", f"{url}/{created['id']}") == (200, created)
    status, patched = support.request("PATCH", f"{url}/{created['id']}", {"name": "Ada L."})
    assert status == 200 and patched["name"] == "Ada L."
    support.request("POST", url, {"name": "Bob", "email": "bob@example.com"})
    status, page = support.request("GET", f"{url}?sort=-name&limit=1&total=true")
    assert status == 200
    assert (page["total"], page["limit"], page["offset"], [row["name"] for row in page["items"]]) == (2, 1, 0, ["Bob"])
    assert support.request("GET", f"{url}?name=Bob&total=true")[1]["total"] == 1
    assert support.request("GET", f"{url}?sort=unknown")[0] == 422
    assert support.request("DELETE", f"{url}/{created['id']}") == (204, None)
    assert support.request("GET", f"{url}/{created['id']}")[0] == 404

    item = {"title": "Pen", "price": "2.50", "quantity": 3, "shipped_at": "2024-05-01T10:00:00Z"}
    status, row = support.request("POST", f"{served}/order_items", item)
    assert status == 201 and (row["price"], row["note"]) == ("2.50", None)
    assert support.request("GET", f"{served}/order_items?quantity=3&total=true")[1]["total"] == 1


def test_served_openapi_operations_have_summary_description_and_tags(served: str) -> None:
    paths = support.request("GET", f"{served}/openapi.json")[1]["paths"]
    for domain in ("customers", "order_items"):
        operations = [
            (path, method, operation)
            for path, methods in paths.items()
            if path.startswith(f"/{domain}")
            for method, operation in methods.items()
        ]
        assert len(operations) == 5, operations
        for path, method, operation in operations:
            assert operation["summary"] and operation["description"], (path, method)
            assert operation["tags"] == [domain], (path, method)


# ------------------------------------------------------------------------------------ refusals


@pytest.fixture(scope="module")
def fresh(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service with the example domain and one module of its own in `src/`."""
    service = copy_service(template, tmp_path_factory.mktemp("fresh") / "acme")
    (service / "src" / "audit.py").write_text('"""A module of the service\'s own."""\n')
    support.commit_all(service, "Add a module")
    return service


REFUSALS = {
    "uppercase name": (("Customers", "--field", "name:str"), "must be lowercase snake_case"),
    "dashed name": (("order-items", "--field", "name:str"), "must be lowercase snake_case"),
    "keyword name": (("class", "--field", "name:str"), "is a Python keyword"),
    "name too long": ((f"{LONG}xs", "--field", "name:str"), "the limit is 30"),
    "src": (("src", "--field", "name:str"), "'src' is reserved"),
    "tests": (("tests", "--field", "name:str"), "'tests' is reserved"),
    "alembic": (("alembic", "--field", "name:str"), "'alembic' is reserved"),
    "contract": (("contract", "--field", "name:str"), "'contract' is reserved"),
    "main": (("main", "--field", "name:str"), "'main' is reserved"),
    "config": (("config", "--field", "name:str"), "'config' is reserved"),
    "database": (("database", "--field", "name:str"), "'database' is reserved"),
    "models": (("models", "--field", "name:str"), "'models' is reserved"),
    "schemas": (("schemas", "--field", "name:str"), "'schemas' is reserved"),
    "exceptions": (("exceptions", "--field", "name:str"), "'exceptions' is reserved"),
    "lists": (("lists", "--field", "name:str"), "'lists' is reserved"),
    "crud": (("crud", "--field", "name:str"), "'crud' is reserved"),
    "idempotency": (("idempotency", "--field", "name:str"), "'idempotency' is reserved"),
    "ids": (("ids", "--field", "name:str"), "'ids' is reserved"),
    # Names checked before anything is derived from them (never a traceback from inflect).
    "empty name": (("", "--field", "name:str"), "domain name is empty"),
    "dunder name": (("__init__", "--field", "name:str"), "'__init__' must be lowercase snake_case"),
    "trailing underscore": (("x_", "--field", "name:str"), "'x_' must be lowercase snake_case"),
    "underscore": (("_", "--field", "name:str"), "'_' must be lowercase snake_case"),
    # Paths the app serves itself, and template modules the service may not have (yet).
    **{
        f"served {name}": (
            (name, "--field", "name:str"),
            f"'{name}' is reserved: the service serves (or may serve) {path}",
        )
        for name, path in [
            ("docs", "/docs"),
            ("redoc", "/redoc"),
            ("openapi", "/openapi.json"),
            ("health", "/health"),
            ("metrics", "/metrics"),
            ("auth", "/auth"),
        ]
    },
    "tracing": (("tracing", "--field", "name:str"), "'tracing' is reserved"),
    # The template's infrastructure packages, read from its tree.
    **{name: ((name, "--field", "name:str"), f"'{name}' is reserved") for name in ("core", "db", "web")},
    "module of src": (("audit", "--field", "name:str"), "already has a module named 'audit'"),
    "existing domain": (("items", "--field", "name:str"), "the domain 'items' exists already"),
    "existing table": (("item_copies", "--entity", "item", "--field", "name:str"), "the table 'item' exists already"),
    "the service's table": (("idempotency_keys", "--field", "key:str"), "the table 'idempotency_key' exists already"),
    "bad entity": (("people", "--entity", "Person", "--field", "name:str"), "entity name 'Person' must be"),
    "identifier too long": (
        ("records", "--entity", LONG, "--field", f"{LONG}:str"),
        f"'uq_{LONG}_{LONG}' is 64 bytes; PostgreSQL allows 63",
    ),
    "no type": (("tags", "--field", "name"), "needs a type"),
    "unknown type": (("tags", "--field", "name:string"), "unknown type 'string'"),
    "unknown modifier": (("tags", "--field", "name:str:required"), "unknown modifier 'required'"),
    "repeated modifier": (("tags", "--field", "name:str:unique:unique"), "a modifier is repeated"),
    "datetime not _at": (("tags", "--field", "shipped:datetime"), "must end in '_at'"),
    "date not _date": (("tags", "--field", "birth:date"), "must end in '_date'"),
    "keyword field": (("tags", "--field", "class:str"), "'class' is a Python keyword"),
    "uppercase field": (("tags", "--field", "Name:str"), "must be lowercase snake_case"),
    "field too long": (("tags", "--field", f"{LONG}x:str"), "the limit is 30"),
    "duplicate field": (("tags", "--field", "name:str", "--field", "name:text"), "'name' is given more than once"),
    "unique json": (("tags", "--field", "data:json:unique"), "a json field cannot be unique"),
    "unique text": (
        ("tags", "--field", "bio:text:unique"),
        "field 'bio': a text field cannot be unique: PostgreSQL's unique index holds values of up to about 2.7 KB",
        "use str:unique (up to 255 characters)",
    ),
    "enum with one value": (
        ("tags", "--field", "rating:enum:good"),
        "an enum needs two or more, separated by | and quoted so the shell does not read | as a pipe: "
        "'rating:enum:good|OTHER'",
    ),
    "shadowing field": (("tags", "--field", "total:int"), "would shadow a name"),
    **{
        f"reserved field {name}": (("tags", "--field", f"{name}:{kind}"), f"field name '{name}' is reserved")
        for name, kind in [
            ("id", "int"),
            ("created_at", "datetime"),
            ("updated_at", "datetime"),
            ("metadata", "str"),
            ("model_config", "str"),
            ("registry", "str"),
            ("limit", "int"),
            ("offset", "int"),
            ("sort", "str"),
        ]
    },
    "no fields": (("tags",), "no fields given"),
    "ref to a missing domain": (("tags", "--field", "customer_id:ref:customers"), "does not have"),
    "ref without _id": (("tags", "--field", "item:ref:items"), "must end in '_id'"),
    "ref without domain": (("tags", "--field", "item_id:ref"), "needs the domain it points to"),
    "unique ref": (("tags", "--field", "item_id:ref:items:unique"), "only 'optional'"),
    "ref nesting a keyword": (("tags", "--field", "class_id:ref:items"), "'class' is a Python keyword"),
    "ref nesting over a field": (("tags", "--field", "item_id:ref:items", "--field", "item:str"), "clashes with"),
    "foreign key name too long": (
        (f"{LONG[:29]}s", "--field", f"{LONG[:27]}_id:ref:items"),
        "PostgreSQL allows 63",
    ),
}


def assert_refused(service: Path, args: tuple, *messages: str) -> None:
    before = tree(service)
    result = cli("domain", *args, "--no-input", "--project", service, cwd=service.parent, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("fastapi-domains: error: ") and result.stderr.count("\n") == 1, result.stderr
    for message in messages:
        assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(service) == before


@pytest.mark.parametrize(
    ("args", "messages"), [(args, messages) for args, *messages in REFUSALS.values()], ids=REFUSALS.keys()
)
def test_bad_input_is_refused_and_writes_nothing(fresh: Path, args: tuple, messages: list[str]) -> None:
    assert_refused(fresh, args, *messages)


def test_a_folder_that_is_not_a_service_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("_src_path: gh:someone/else\nproject_name: Other\n")
    assert_refused(tmp_path, CUSTOMERS, "is not a service generated by fastapi-domains")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_refused(empty, CUSTOMERS, "is not a service generated by fastapi-domains (no .copier-answers.yml)")


@pytest.fixture
def copy_of_fresh(fresh: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(fresh, tmp_path / "acme", symlinks=True))


def set_answers(service: Path, **changes: str | None) -> None:
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    answers.update(changes)
    (service / ".copier-answers.yml").write_text(yaml.safe_dump({k: v for k, v in answers.items() if v is not None}))


def test_two_migration_heads_are_refused(copy_of_fresh: Path) -> None:
    (copy_of_fresh / "alembic" / "versions" / "20250101_feedbeef0000_other_root.py").write_text(
        'revision = "feedbeef0000"\ndown_revision = None\n'
    )
    assert_refused(copy_of_fresh, CUSTOMERS, "the migrations have 2 heads")


def test_a_missing_template_source_is_refused(copy_of_fresh: Path, tmp_path: Path) -> None:
    set_answers(copy_of_fresh, _src_path=str(tmp_path / "gone"))
    assert_refused(copy_of_fresh, CUSTOMERS, "does not exist")


OLD_TEMPLATES = {
    "no template_kind": ("project_name:\n  type: str\n  default: x\n", "has no domain sub-template"),
    "no domain choice": (
        "template_kind:\n  type: str\n  default: project\n  choices: [project]\n",
        "has no domain sub-template",
    ),
    "unknown answers": (
        "template_kind:\n  type: str\n  default: project\ndomain_name:\n  type: str\n  default: x\n"
        '_subdirectory: "{{ template_kind }}"\n_answers_file: .copier/domain-{{ domain_name }}.yml\n',
        "does not know the answers database, down_revision, entity_class",
    ),
}


@pytest.mark.parametrize(("copier_yml", "problem"), OLD_TEMPLATES.values(), ids=OLD_TEMPLATES.keys())
def test_a_template_version_too_old_for_domains_is_refused(
    copy_of_fresh: Path, tmp_path: Path, copier_yml: str, problem: str
) -> None:
    """An old template fails to render, or renders no (or a partial) domain into the staging
    folder only: the service is left as it was, and the message says how to update."""
    old = tmp_path / "old-template"
    (old / "domain" / ".copier").mkdir(parents=True)
    (old / "copier.yml").write_text(copier_yml)
    (old / "domain" / "{{ _copier_conf.answers_file }}.jinja").write_text("{{ _copier_answers | to_nice_yaml }}")
    support.commit_all(old, "An old template")
    set_answers(copy_of_fresh, _src_path=str(old), _commit="HEAD")
    update_hint = "update the service to a newer template first (`fastapi-domains update`"
    assert_refused(copy_of_fresh, CUSTOMERS, f"(HEAD) {problem}", update_hint)


def test_a_folder_left_with_bytecode_only_is_no_domain(copy_of_fresh: Path) -> None:
    """A domain added, run (bytecode), then cleaned away with `git clean -fd`, which keeps the
    ignored `__pycache__/`: adding it again works."""
    cli("domain", *CUSTOMERS, "--no-input", cwd=copy_of_fresh)
    # Bytecode beside the sources, as a developer's machine writes it (the tests keep theirs apart).
    bytecode_beside = {"PYTHONPYCACHEPREFIX": ""}
    support.run(
        sys.executable,
        "-m",
        "compileall",
        "-q",
        "src/customers",
        "tests/customers",
        cwd=copy_of_fresh,
        env=bytecode_beside,
    )
    support.git(copy_of_fresh, "clean", "-fdq")
    assert [path.name for path in (copy_of_fresh / "src" / "customers").iterdir()] == ["__pycache__"]
    assert not (copy_of_fresh / ".copier" / "domain-customers.yml").exists()
    cli("domain", *CUSTOMERS, "--no-input", cwd=copy_of_fresh)
    assert (copy_of_fresh / "src" / "customers" / "router.py").is_file()


@pytest.mark.parametrize("folder", ["src", "tests"])
def test_what_is_in_the_way_is_named(copy_of_fresh: Path, folder: str) -> None:
    held = copy_of_fresh / folder / "customers"
    (held / "__pycache__").mkdir(parents=True)
    (held / "__pycache__" / "router.cpython-311.pyc").write_bytes(b"")
    for name in ("notes.md", "a.py", "b.py", "c.py"):
        (held / name).write_text("# ours\n")
    assert_refused(
        copy_of_fresh,
        CUSTOMERS,
        f"{folder}/customers/ is in the way of the domain 'customers': it holds a.py, b.py, c.py and 1 more "
        "(no domain's answers name it); move it away or choose another name",
    )


def test_an_existing_file_is_never_overwritten(copy_of_fresh: Path) -> None:
    own = copy_of_fresh / "tests" / "customers" / "test_router.py"
    own.parent.mkdir()
    own.write_text("# the user's own tests\n")
    assert_refused(
        copy_of_fresh, CUSTOMERS, "tests/customers/ is in the way of the domain 'customers': it holds test_router.py"
    )


# ------------------------------------------------------------------------------------ warnings


def test_a_plain_folder_source_works_with_a_warning(copy_of_fresh: Path, template: Path, tmp_path: Path) -> None:
    plain = Path(shutil.copytree(template, tmp_path / "plain", ignore=shutil.ignore_patterns(".git")))
    set_answers(copy_of_fresh, _src_path=str(plain), _commit=None)
    result = cli("domain", *CUSTOMERS, "--no-input", cwd=copy_of_fresh)
    assert "warning: the template source" in result.stderr and "plain folder" in result.stderr
    assert (copy_of_fresh / "src" / "customers" / "router.py").is_file()


def test_a_relative_source_works_with_a_warning(copy_of_fresh: Path, template: Path) -> None:
    relative = Path("..") / Path(os.path.relpath(template, copy_of_fresh.parent))
    set_answers(copy_of_fresh, _src_path=str(relative))
    result = cli("domain", *CUSTOMERS, "--no-input", cwd=copy_of_fresh)
    assert "is a relative path" in result.stderr
    answers = yaml.safe_load((copy_of_fresh / ".copier" / "domain-customers.yml").read_text())
    assert answers["_src_path"] == str(template.resolve())


# ------------------------------------------------------------------------------------ sources


# Git URLs as Copier takes them (its own `get_repo` reads them): handed to Copier as recorded.
# `git+file://` is rendered for real in tests/test_update.py; these would need a network.
GIT_URLS = [
    "git+https://example.com/acme/template",
    "git+ssh://git@example.com/acme/template.git",
    "git@example.com:acme/template.git",
    "https://example.com/acme/template.git",
    "gh:acme/template",
]


@pytest.mark.parametrize("url", GIT_URLS)
def test_a_git_url_source_is_used_as_recorded(copy_of_fresh: Path, url: str) -> None:
    set_answers(copy_of_fresh, _src_path=url)
    assert template_source(load_project(copy_of_fresh)) == url


def test_without_git_only_a_plain_folder_source_renders(copy_of_fresh: Path, template: Path, tmp_path: Path) -> None:
    """Without git, Copier would render the template folder as it is now, whatever the service's
    version, and record no version: refused; a plain folder source has no version to miss."""
    no_git = {"PATH": str(Path(sys.executable).parent)}
    assert shutil.which("git", path=no_git["PATH"]) is None
    before = tree(copy_of_fresh)
    refused = cli("domain", *CUSTOMERS, "--no-input", cwd=copy_of_fresh, env=no_git, check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    commit = yaml.safe_load((copy_of_fresh / ".copier-answers.yml").read_text())["_commit"]
    assert f"git is not installed: the domain must be rendered from {template} at the service's template " in (
        refused.stderr
    )
    assert f"version {commit}" in refused.stderr
    assert tree(copy_of_fresh) == before

    plain = Path(shutil.copytree(template, tmp_path / "plain", ignore=shutil.ignore_patterns(".git")))
    set_answers(copy_of_fresh, _src_path=str(plain), _commit=None)
    added = cli("domain", *CUSTOMERS, "--no-input", cwd=copy_of_fresh, env=no_git)
    assert "plain folder" in added.stderr
    assert f"from {plain} at its working tree" in added.stdout
    assert (copy_of_fresh / "src" / "customers" / "router.py").is_file()
