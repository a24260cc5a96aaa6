"""The constitution, enforced and carried: generated services pass their per-principle contract
tests and `fastapi-domains check` (fresh, and with a reference and an external-API domain, on
SQLite and PostgreSQL), external domains are added, listed and updated like the others, and
every service ships its constitution, plan template and AGENTS.md, filled in."""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from fastapi_domains import update
from fastapi_domains.errors import CliError
from tests import support

PRINCIPLES = (
    "Domain-Driven Structure",
    "Async-First",
    "Pydantic Models & Endpoint Metadata",
    "Dependency Injection",
    "SQL-First",
    "Testing",
    "Code Quality",
    "Database Conventions",
    "Migrations",
    "RESTful Design",
    "External Services",
)
OTHER_CONTRACT_TESTS = (
    "tests/contract/test_access_rules.py",
    "tests/contract/test_error_contract.py",
    "tests/contract/test_fuzz.py",
)
DOMAINS = (
    ("customers", "--field", "name:str", "--field", "email:str:unique"),
    ("orders", "--field", "customer_id:ref:customers", "--field", "placed_at:datetime"),
    ("forecasts", "--external", "https://api.weather.example/v2"),
)
# spec-kit's own placeholders, left for /speckit.plan to fill (from its plan template).
SPEC_KIT_PLACEHOLDERS = {
    "[FEATURE]",
    "[###-feature-name]",
    "[DATE]",
    "[link]",
    "[Extract from feature spec: primary requirement + technical approach from research]",
    "[domain-specific, e.g., 1000 req/s, 10k lines/sec, 60 fps or NEEDS CLARIFICATION]",
    "[domain-specific, e.g., <200ms p95, <100MB memory, offline-capable or NEEDS CLARIFICATION]",
    "[domain-specific, e.g., 10k users, 1M LOC, 50 screens or NEEDS CLARIFICATION]",
    "[###-feature]",
    "[domain]",
    "[e.g., 4th project]",
    "[current need]",
    "[why 3 projects insufficient]",
    "[e.g., Repository pattern]",
    "[specific problem]",
    "[why direct DB access insufficient]",
}


def cli(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, check: bool = True):
    return support.run(sys.executable, "-m", "fastapi_domains.cli", *args, cwd=cwd, env=env, check=check)


def check(service: Path, service_env: support.ServiceEnv, **env: str):
    """`fastapi-domains check` with the shared service environment standing in for the service's own.
    The fuzzer sends one request per operation: how deep it digs is test_input_contract.py's concern."""
    env = {"UV_PROJECT_ENVIRONMENT": str(service_env.root), "FUZZ_EXAMPLES": "1", **env}
    return cli("check", "--project", service, cwd=service.parent, check=False, env=env)


def assert_all_ok(output: str) -> None:
    for name in (*PRINCIPLES, *OTHER_CONTRACT_TESTS):
        assert f"ok      {name}\n" in output, f"{name} is not ok:\n{output}"
    assert "FAILED" not in output


def grown(template: Path, destination: Path, **answers: str) -> Path:
    service = support.shared_render(template, destination, **answers)
    for domain in DOMAINS:
        cli("domain", *domain, "--no-input", cwd=service)
    support.commit_all(service, "Add domains")
    return service


@pytest.fixture(scope="module")
def fresh(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return support.shared_render(template, tmp_path_factory.mktemp("fresh") / "acme")


@pytest.fixture(scope="module")
def sqlite_service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown(template, tmp_path_factory.mktemp("sqlite") / "acme")


@pytest.fixture(scope="module")
def pg_service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown(template, tmp_path_factory.mktemp("pg") / "acme", database="postgresql", pk_type="uuid")


# ------------------------------------------------------------------------------- every principle holds


def test_a_fresh_service_keeps_every_principle(fresh: Path, service_env: support.ServiceEnv) -> None:
    result = check(fresh, service_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_all_ok(result.stdout)
    assert len(result.stdout.splitlines()) == len(PRINCIPLES) + len(OTHER_CONTRACT_TESTS)


def test_a_sqlite_service_with_three_domains_keeps_every_principle(
    sqlite_service: Path, service_env: support.ServiceEnv
) -> None:
    result = check(sqlite_service, service_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_all_ok(result.stdout)


def test_a_postgresql_service_with_three_domains_keeps_every_principle(
    pg_service: Path, service_env: support.ServiceEnv
) -> None:
    # The contract tests make their own databases next to this one, and drop them.
    result = check(pg_service, service_env, TEST_DATABASE_URL=support.pg_url(support.unique_name("fd_scratch")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert_all_ok(result.stdout)


# ------------------------------------------------------------------------------- external-API domains


def test_an_external_domain_passes_its_own_tests_and_lint(
    sqlite_service: Path, service_env: support.ServiceEnv
) -> None:
    """Tables and references are the other suites' (test_cli_*.py); the remote API is this one's."""
    support.run(
        service_env.tool("python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/forecasts",
        cwd=sqlite_service,
    )
    support.run(service_env.tool("ruff"), "check", "--no-cache", ".", cwd=sqlite_service)
    support.run(service_env.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=sqlite_service)


def test_an_external_domain_has_the_seed_modules_and_no_table(sqlite_service: Path) -> None:
    modules = ("router", "schemas", "models", "dependencies", "config", "constants", "exceptions", "service", "utils")
    for module in modules:
        assert (sqlite_service / "src" / "forecasts" / f"{module}.py").is_file(), module
    for test in ("test_router", "test_service", "test_integration"):
        assert "def test_" in (sqlite_service / "tests" / "forecasts" / f"{test}.py").read_text()
    assert not list((sqlite_service / "alembic" / "versions").glob("*forecast*"))
    answers = yaml.safe_load((sqlite_service / ".copier" / "domain-forecasts.yml").read_text())
    assert answers["template_kind"] == "external"
    assert answers["base_url"] == "https://api.weather.example/v2"
    assert "table_name" not in answers
    config = (sqlite_service / "src" / "forecasts" / "config.py").read_text()
    assert '"https://api.weather.example/v2"' in config
    assert "API_KEY: SecretStr" in config


def test_domains_lists_an_external_domain_and_leaves_it_out_of_the_diagram(sqlite_service: Path) -> None:
    listing = cli("domains", cwd=sqlite_service).stdout
    assert "forecasts  (external API https://api.weather.example/v2, entity forecast, template " in listing
    diagram = cli("domains", "--diagram", cwd=sqlite_service).stdout
    assert "forecast" not in diagram
    assert 'customer ||--o{ order : "customer_id"' in diagram


@pytest.mark.parametrize("answers_file", [None, ".copier/domain-forecasts.yml"], ids=["project", "external"])
def test_a_no_op_update_changes_nothing(sqlite_service: Path, answers_file: str | None) -> None:
    """The project (its .specify/ and AGENTS.md included) and the external domain render the same again."""
    extra = ["-a", answers_file] if answers_file else []
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", *extra, cwd=sqlite_service)
    assert support.git(sqlite_service, "status", "--porcelain").stdout == ""


def test_fastapi_domains_update_takes_an_external_domain_answers_file(sqlite_service: Path, tmp_path: Path) -> None:
    answers_file = sqlite_service / ".copier" / "domain-forecasts.yml"
    update.check_domain_answers(answers_file)
    answers = yaml.safe_load(answers_file.read_text())
    del answers["base_url"]
    broken = tmp_path / "domain-forecasts.yml"
    broken.write_text(yaml.safe_dump(answers))
    with pytest.raises(CliError, match="lacks the answer base_url"):
        update.check_domain_answers(broken)


@pytest.fixture(scope="module")
def committed_fresh(fresh: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fresh service the refusals below may be tried on."""
    copy = tmp_path_factory.mktemp("refusals") / "acme"
    shutil.copytree(fresh, copy, symlinks=True)
    return copy


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("weather", "--external", "ftp://api.example.com"), "is not a base URL"),
        (("weather", "--external", "https://api.example.com/v1?key=secret"), "without query"),
        (("weather", "--external", "https://user:pw@api.example.com"), "without query, fragment or credentials"),
        (("weather", "--external", "https://api.example.com/" + "x" * 100), "at most 100 characters"),
        (("weather", "--external", "https://api.example.com", "--field", "name:str"), "no --field"),
        (("Weather", "--external", "https://api.example.com"), "snake_case"),
        (("items", "--external", "https://api.example.com"), "exists already"),
    ],
)
def test_bad_external_domains_are_refused_and_write_nothing(
    committed_fresh: Path, args: tuple[str, ...], message: str
) -> None:
    before = support.git(committed_fresh, "status", "--porcelain").stdout
    result = cli("domain", *args, cwd=committed_fresh, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("fastapi-domains: error: ") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert support.git(committed_fresh, "status", "--porcelain").stdout == before


def test_a_reference_to_an_external_domain_is_refused(sqlite_service: Path) -> None:
    result = cli("domain", "readings", "--field", "forecast_id:ref:forecasts", cwd=sqlite_service, check=False)
    assert result.returncode == 1
    assert "wraps an external API and has no table to reference" in result.stderr
    assert support.git(sqlite_service, "status", "--porcelain").stdout == ""


@pytest.mark.parametrize(
    "args", [("field", "add", "forecasts", "note:str:optional"), ("remove", "forecasts")], ids=["field", "remove"]
)
def test_an_external_domain_has_no_table_to_change(sqlite_service: Path, args: tuple[str, ...]) -> None:
    result = cli(*args, cwd=sqlite_service, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("fastapi-domains: error: the domain 'forecasts' wraps an external API")
    assert support.git(sqlite_service, "status", "--porcelain").stdout == ""


# ------------------------------------------------------------------------------- check's own refusals


def test_check_without_the_service_environment_says_to_sync(committed_fresh: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "UV_PROJECT_ENVIRONMENT"}
    result = support.run(
        sys.executable, "-m", "fastapi_domains.cli", "check", cwd=committed_fresh, env=env, check=False
    )
    assert result.returncode == 1
    assert "the service has no environment yet" in result.stderr and "`uv sync`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (committed_fresh / ".venv").exists()


def test_check_without_uv_says_to_install_it(committed_fresh: Path, tmp_path: Path) -> None:
    result = cli("check", cwd=committed_fresh, env={"PATH": str(tmp_path)}, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("fastapi-domains: error: uv is not installed: install it")
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_of_a_folder_that_is_not_a_service_is_refused(tmp_path: Path) -> None:
    result = cli("check", "--project", tmp_path, cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert "is not a service generated by fastapi-domains" in result.stderr
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------- spec-kit and assistants


def test_the_constitution_names_each_principle_and_its_contract_test(fresh: Path) -> None:
    answers = yaml.safe_load((fresh / ".copier-answers.yml").read_text())
    constitution = (fresh / ".specify" / "memory" / "constitution.md").read_text()
    assert constitution.startswith("# Acme Shop Constitution\n")
    tests = re.findall(r"Enforced by `(tests/contract/test_\w+\.py)`", constitution)
    assert len(tests) == len(PRINCIPLES)
    for test in tests:
        assert (fresh / test).is_file(), test
        principle = re.search(r'^PRINCIPLE = "(.+)"$', (fresh / test).read_text(), re.MULTILINE)
        assert principle and principle.group(1) in constitution, test
    version, ratified = answers["constitution_version"], answers["constitution_ratified"]
    assert (version, re.fullmatch(r"\d{4}-\d{2}-\d{2}", ratified) is not None) == ("1.0.0", True)
    assert f"**Version**: {version} | **Ratified**: {ratified} | **Last Amended**: {ratified}" in constitution


def test_the_plan_template_is_filled_from_the_answers(fresh: Path, pg_service: Path) -> None:
    for service, storage in ((fresh, "SQLite (aiosqlite)"), (pg_service, "PostgreSQL (asyncpg)")):
        plan = (service / ".specify" / "templates" / "plan-template.md").read_text()
        assert "**Language/Version**: Python 3.11+" in plan
        assert f"**Storage**: {storage}" in plan
        assert "FastAPI" in plan and "pytest" in plan and "ruff" in plan
        assert set(re.findall(r"\[[^\]\n]*\]", plan)) <= SPEC_KIT_PLACEHOLDERS
        assert "[FEATURE]" in plan and "[DATE]" in plan
        gates = re.findall(r"^\*\*([^*]+)\*\*: .*\?", plan, re.MULTILINE)
        verified = re.findall(r"^\*Verified by\*: `uv run pytest (tests/contract/\S+\.py)`", plan, re.MULTILINE)
        assert len(gates) == len(verified) == 10
        assert all((service / test).is_file() for test in verified)


def test_agents_md_tells_how_the_service_grows(fresh: Path) -> None:
    agents = (fresh / "AGENTS.md").read_text()
    for command in (
        "fastapi-domains domain NAME --field",
        "fastapi-domains domain NAME --external BASE_URL",
        "fastapi-domains field add",
        "fastapi-domains check",
        "fastapi-domains update",
        "uv run pytest",
        "uv run ruff check . && uv run ruff format --check .",
        "uv run alembic upgrade head",
    ):
        assert command in agents, command
    assert ".copier-answers.yml" in agents and "alembic/versions/" in agents


def test_spec_kit_and_agent_files_hold_no_template_syntax(fresh: Path, pg_service: Path) -> None:
    for service in (fresh, pg_service):
        for name in (".specify/memory/constitution.md", ".specify/templates/plan-template.md", "AGENTS.md"):
            text = (service / name).read_text()
            assert not re.search(r"\{\{|\{%|%\}|\{#", text), name
            assert not re.search(r"\[[A-Z][A-Z0-9_]+\]", text.replace("[FEATURE]", "").replace("[DATE]", "")), name
