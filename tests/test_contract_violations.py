"""Each principle, broken once in a copy of a fresh service: its contract test and `fastapi-domains
check` fail and name the principle and the offending place, while the principles left alone hold.

Each violation leaves the app importable (a deleted service.py is one whose code moved to
another module), so it is the principle's own test that notices, not every test at once.
"""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests import support
from tests.test_contract import OTHER_CONTRACT_TESTS, PRINCIPLES, check

ITEMS = Path("src/items")


def edit(service: Path, relative: str, old: str, new: str) -> None:
    path = service / relative
    text = path.read_text()
    assert text.count(old) == 1, f"{relative} no longer holds {old!r}: update this violation"
    path.write_text(text.replace(old, new))


def append(service: Path, relative: str, code: str) -> None:
    path = service / relative
    path.write_text(path.read_text() + code)


def move_service_away(service: Path) -> None:
    """service.py deleted, its code in crud.py: the app still works, the layout does not."""
    (service / ITEMS / "service.py").rename(service / ITEMS / "crud.py")
    for module in ("router.py", "dependencies.py"):
        edit(service, f"{ITEMS}/{module}", "from src.items import service\n", "from src.items import crud as service\n")


def sync_endpoint(service: Path) -> None:
    edit(service, f"{ITEMS}/router.py", "async def get_item(", "def get_item(")


def no_summary(service: Path) -> None:
    edit(service, f"{ITEMS}/router.py", '    summary="Get an item",\n', "")


def global_engine(service: Path) -> None:
    edit(
        service,
        f"{ITEMS}/router.py",
        "from src.items import service\n",
        "from src.database import engine\nfrom src.items import service\n",
    )


def query_per_row(service: Path) -> None:
    append(
        service,
        f"{ITEMS}/service.py",
        "\n\nasync def get_many(connection: AsyncConnection, ids: list[int]) -> list[ItemRead | None]:\n"
        "    return [await get_by_id(connection, item_id) for item_id in ids]\n",
    )


def no_service_tests(service: Path) -> None:
    (service / "tests" / "items" / "test_service.py").unlink()


def import_in_a_function(service: Path) -> None:
    append(
        service,
        f"{ITEMS}/utils.py",
        "\n\ndef as_json(value: object) -> str:\n    import json\n\n    return json.dumps(value)\n",
    )


def created_datetime_column(service: Path) -> None:
    """A `created` column (not `created_at`), with the migration that adds it, so models and history agree."""
    edit(
        service,
        f"{ITEMS}/models.py",
        "from decimal import Decimal\n",
        "import datetime as dt\nfrom decimal import Decimal\n",
    )
    edit(
        service,
        f"{ITEMS}/models.py",
        "from src.models import",
        "from src.db.dialect import UTCDateTime\nfrom src.models import",
    )
    edit(
        service,
        f"{ITEMS}/models.py",
        "\n\nitem_table",
        "\n    created: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())\n\n\nitem_table",
    )
    parent = yaml.safe_load((service / ".copier" / "domain-items.yml").read_text())["revision_id"]
    (service / "alembic" / "versions" / "20250102_c0ffee000001_add_created.py").write_text(
        '"""add item.created"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f'revision = "c0ffee000001"\ndown_revision = "{parent}"\n\n\n'
        "def upgrade() -> None:\n"
        '    op.add_column("item", sa.Column("created", sa.DateTime(timezone=True), nullable=True))\n\n\n'
        "def downgrade() -> None:\n"
        '    with op.batch_alter_table("item") as batch:\n'
        '        batch.drop_column("created")\n'
    )


def downgrade_pass(service: Path) -> None:
    (migration,) = (service / "alembic" / "versions").glob("*_create_item.py")
    edit(service, str(migration.relative_to(service)), '    op.drop_table("item")\n', "    pass\n")


def verb_path(service: Path) -> None:
    edit(service, f"{ITEMS}/router.py", '@router.post(\n    "/items",', '@router.post(\n    "/items/create",')


def literal_api_key(service: Path) -> None:
    edit(
        service,
        f"{ITEMS}/config.py",
        'env_prefix="ITEMS_")\n',
        'env_prefix="ITEMS_")\n    API_KEY: str = "sk-live-4f9a8b7c6d5e4f3a2b1c"\n',
    )


def requests_in_a_route(service: Path) -> None:
    """A blocking call to a remote API, in a route (in a branch never taken: no test reaches the network)."""
    edit(service, f"{ITEMS}/router.py", "from fastapi import", "import requests\nfrom fastapi import")
    edit(
        service,
        f"{ITEMS}/router.py",
        "    return item\n",
        '    if item.id < 0:\n        requests.get("https://example.com", timeout=5)\n    return item\n',
    )


# violation: (apply it, the principle it breaks, the contract test that notices, what the failure names)
VIOLATIONS: dict[str, tuple[Callable[[Path], None], str, str, str]] = {
    "deleted service.py": (move_service_away, "Domain-Driven Structure", "test_structure", "src/items/service.py"),
    "sync endpoint": (sync_endpoint, "Async-First", "test_async", "`get_item` is a plain function"),
    "route without summary": (
        no_summary,
        "Pydantic Models & Endpoint Metadata",
        "test_openapi",
        "GET /items/{item_id}: no summary",
    ),
    "global engine in a router": (global_engine, "Dependency Injection", "test_dependencies", "`engine` is a"),
    "query per row": (query_per_row, "SQL-First", "test_sql_first", "a query per iteration (get_by_id)"),
    "missing service tests": (no_service_tests, "Testing", "test_tests", "tests/items/test_service.py: missing"),
    "import inside a function": (import_in_a_function, "Code Quality", "test_code_quality", "import inside `as_json`"),
    "created datetime column": (
        created_datetime_column,
        "Database Conventions",
        "test_database_conventions",
        "column item.created: a datetime",
    ),
    "downgrade is pass": (downgrade_pass, "Migrations", "test_migrations", "downgrade() does nothing"),
    "verb path": (verb_path, "RESTful Design", "test_rest", "POST /items/create: 'create' is a verb"),
    "literal API key": (literal_api_key, "External Services", "test_external_services", "`API_KEY` is a literal"),
    # A blocking call in a coroutine, and a remote API called outside service.py: it breaks two.
    "requests.get in a route (blocking)": (
        requests_in_a_route,
        "Async-First",
        "test_async",
        "`requests.get` blocks the event loop",
    ),
    "requests.get in a route (remote call)": (
        requests_in_a_route,
        "External Services",
        "test_external_services",
        "`requests.get` calls a remote API",
    ),
}
# Each copy of the service breaks principles no other violation in it breaks, so a check shows
# each broken principle failing at its own place while the principles left alone hold. (A copy
# per violation would say the same at four times the cost: each check runs the whole contract.)
COPIES = {
    "structure-async-migrations-rest": ("deleted service.py", "sync endpoint", "downgrade is pass", "verb path"),
    "metadata-di-testing-quality": (
        "route without summary",
        "global engine in a router",
        "missing service tests",
        "import inside a function",
    ),
    "sql-conventions-external": ("query per row", "created datetime column", "literal API key"),
    "requests-in-a-route": ("requests.get in a route (blocking)", "requests.get in a route (remote call)"),
}


def test_every_principle_is_broken_once() -> None:
    broken = {VIOLATIONS[name][1] for names in COPIES.values() for name in names}
    assert broken == set(PRINCIPLES)
    assert sorted(name for names in COPIES.values() for name in names) == sorted(VIOLATIONS)


@pytest.fixture(scope="module")
def fresh(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return support.shared_render(template, tmp_path_factory.mktemp("fresh") / "acme")


@pytest.mark.parametrize("copy", COPIES)
def test_broken_principles_fail_their_tests_and_check(
    copy: str, fresh: Path, service_env: support.ServiceEnv, tmp_path: Path
) -> None:
    violations = [VIOLATIONS[name] for name in COPIES[copy]]
    service = tmp_path / "acme"
    shutil.copytree(fresh, service, symlinks=True)
    for apply in dict.fromkeys(apply for apply, *_ in violations):
        apply(service)
    # As a developer who changed routes would: the API's contract follows the code, so only the
    # principles broken on purpose fail (the drift check has its own tests: test_api_contract.py).
    support.run(service_env.tool("python"), "-m", "src.web.contract", cwd=service)
    broken = {principle for _, principle, _, _ in violations}

    modules = sorted({f"tests/contract/{module}.py" for _, _, module, _ in violations})
    python = service_env.tool("python")
    contract_tests = support.run(
        python, "-m", "pytest", *modules, "-q", "-p", "no:cacheprovider", cwd=service, check=False
    )
    assert contract_tests.returncode == 1, contract_tests.stdout + contract_tests.stderr
    for _, principle, _, place in violations:
        assert f"{principle}: " in contract_tests.stdout and place in contract_tests.stdout, contract_tests.stdout

    result = check(service, service_env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for principle in PRINCIPLES:
        failed = [index for index, line in enumerate(lines) if line.startswith(f"FAILED  {principle}: ")]
        assert bool(failed) == (principle in broken), f"{principle}:\n{result.stdout}"
        assert (f"ok      {principle}" in lines) == (principle not in broken), result.stdout
    for other in OTHER_CONTRACT_TESTS:
        assert f"ok      {other}" in lines, result.stdout
    for _, principle, _, place in violations:
        assert any(place in line for line in _section(lines, principle)), f"{place}:\n{result.stdout}"


def _section(lines: list[str], principle: str) -> list[str]:
    """The FAILED lines of a principle and the places listed under each."""
    section, inside = [], False
    for line in lines:
        if not line.startswith(" "):
            inside = line.startswith(f"FAILED  {principle}: ")
        if inside:
            section.append(line)
    return section


def test_check_names_a_deleted_module_when_the_app_does_not_import(
    fresh: Path, service_env: support.ServiceEnv, tmp_path: Path
) -> None:
    """A domain's service.py deleted outright: the app cannot import, yet the static principles
    run, the structure names the missing file and the others say why they could not run."""
    service = tmp_path / "acme"
    shutil.copytree(fresh, service, symlinks=True)
    (service / ITEMS / "service.py").unlink()

    result = check(service, service_env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    structure = _section(lines, "Domain-Driven Structure")
    assert any("src/items/service.py: missing" in line for line in structure), result.stdout
    assert "ok      Code Quality" in lines, result.stdout
    assert any(
        line.startswith("FAILED  RESTful Design: the app did not import: src/items/") and "service" in line
        for line in lines
    ), result.stdout
