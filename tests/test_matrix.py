"""The template's matrix: both databases, both key types, with and without an API prefix, each
Python version, and the optional files (license, Docker, CI).

Not the full product: each answer value appears at least once. Every variant that runs its
suite does so on databases of its own (on PostgreSQL: unique names, dropped after), so the
variants can run in parallel and leave nothing behind.
"""

import json
import shlex
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests import support

# answers, and whether the service's suite and migrations run (else: rendered and linted).
VARIANTS: dict[str, tuple[dict, bool]] = {
    "pg-uuid-prefix": (
        {
            "database": "postgresql",
            "pk_type": "uuid",
            "api_prefix": "/api/v1",
            "license": "Apache-2.0",
            "cors_origins": "https://app.example.com, http://localhost:3000",
            "auth": "jwt",
        },
        True,
    ),
    "pg-int": ({"database": "postgresql"}, True),
    "sqlite-uuid-prefix": (
        {"pk_type": "uuid", "api_prefix": "/v2", "license": "BSD-3-Clause", "with_docker": False, "auth": "jwt"},
        True,
    ),
    # sqlite + int + no prefix (with the example domain, that is the default render: test_project_render.py).
    "no-example-domain": (
        {"example_domain": False, "license": "none", "with_docker": False, "with_ci": False},
        True,
    ),
    "py3.12": ({"python_version": "3.12", "license": "proprietary", "with_ci": False}, False),
    "py3.13-pg-uuid": ({"python_version": "3.13", "database": "postgresql", "pk_type": "uuid", "auth": "jwt"}, False),
}
LICENSE_FIRST_LINES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "proprietary": "All rights reserved.",
}
DOCKER_FILES = ("Dockerfile", ".dockerignore", "compose.yaml")
WORKFLOW = ".github/workflows/ci.yml"
# Its suite, lint and migrations run as the commands of its CI workflow (test_ci_workflow_commands_pass).
CHECKED_BY_WORKFLOW = "pg-uuid-prefix"
ANSWERED = (
    "database",
    "pk_type",
    "api_prefix",
    "cors_origins",
    "license",
    "with_docker",
    "with_ci",
    "example_domain",
    "python_version",
    "auth",
)


@pytest.fixture(scope="module")
def renders(template: Path, tmp_path_factory: pytest.TempPathFactory):
    """Each variant rendered once per module (lazily: a test asks for the ones it needs)."""
    done: dict[str, Path] = {}

    def get(variant: str) -> Path:
        if variant not in done:
            destination = tmp_path_factory.mktemp(variant) / "acme"
            done[variant] = support.render(template, destination, **VARIANTS[variant][0])
        return done[variant]

    return get


def answers_of(variant: str) -> dict:
    """The variant's answers over the template's defaults."""
    questions = yaml.safe_load((support.REPO / "copier.yml").read_text())
    defaults = {key: questions[key]["default"] for key in ANSWERED}
    return {**defaults, **VARIANTS[variant][0]}


def test_each_answer_value_is_in_the_matrix() -> None:
    seen = {(key, str(value)) for variant in VARIANTS for key, value in answers_of(variant).items()}
    expected = {
        ("database", "sqlite"),
        ("database", "postgresql"),
        ("pk_type", "int"),
        ("pk_type", "uuid"),
        ("python_version", "3.11"),
        ("python_version", "3.12"),
        ("python_version", "3.13"),
        ("with_docker", "True"),
        ("with_docker", "False"),
        ("with_ci", "True"),
        ("with_ci", "False"),
        ("example_domain", "False"),
        ("auth", "none"),
        ("auth", "jwt"),
        *(("license", name) for name in [*LICENSE_FIRST_LINES, "none"]),
    }
    assert expected <= seen
    # Among the variants whose suites run: every database with both key types, both with and
    # without a prefix, and PostgreSQL with uuid keys behind a prefix.
    full = {
        (answers["database"], answers["pk_type"], bool(answers["api_prefix"]))
        for answers in (answers_of(variant) for variant, (_, runs) in VARIANTS.items() if runs)
    }
    for database in ("sqlite", "postgresql"):
        assert {pk for db, pk, _ in full if db == database} == {"int", "uuid"}, database
        assert {prefix for db, _, prefix in full if db == database} == {True, False}, database
    assert ("postgresql", "uuid", True) in full


@pytest.mark.parametrize("variant", VARIANTS)
def test_files_follow_the_answers(renders, variant: str) -> None:
    project, answers = renders(variant), answers_of(variant)
    stored = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {key: stored[key] for key in VARIANTS[variant][0]} == VARIANTS[variant][0]

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + answers["python_version"].replace(".", "")
    assert any(dep.startswith("asyncpg") for dep in pyproject["project"]["dependencies"]) == (
        answers["database"] == "postgresql"
    )
    license_file = project / "LICENSE"
    if answers["license"] == "none":
        assert not license_file.exists()
        assert "license" not in pyproject["project"]
    else:
        text = license_file.read_text()
        assert LICENSE_FIRST_LINES[answers["license"]] in text
        assert f"{stored['copyright_year']} Your Name" in text.replace(",", "")
        spdx = None if answers["license"] == "proprietary" else answers["license"]
        assert pyproject["project"].get("license") == spdx
    assert (project / "src" / "items").is_dir() == answers["example_domain"]
    assert (project / "src" / "auth").is_dir() == (answers["auth"] == "jwt")
    assert any(dep.startswith("pyjwt") for dep in pyproject["project"]["dependencies"]) == (answers["auth"] == "jwt")
    for origin in filter(None, (part.strip() for part in answers["cors_origins"].split(","))):
        assert f'"{origin}",' in (project / "src" / "config.py").read_text()

    for name in DOCKER_FILES:
        assert (project / name).is_file() == answers["with_docker"], name
    if answers["with_docker"]:
        compose = yaml.safe_load((project / "compose.yaml").read_text())
        # `seed` runs only when asked for (`docker compose run --rm seed`: profile seed).
        expected = {"migrate", "api", "seed"} | ({"db"} if answers["database"] == "postgresql" else set())
        assert set(compose["services"]) == expected
        assert f"FROM python:{answers['python_version']}-slim" in (project / "Dockerfile").read_text()
    assert (project / ".github").exists() == answers["with_ci"]
    if answers["with_ci"]:
        workflow = yaml.safe_load((project / WORKFLOW).read_text())
        (job,) = workflow["jobs"].values()
        assert ("services" in job) == (answers["database"] == "postgresql")
        setup = next(step for step in job["steps"] if step.get("uses", "").startswith("astral-sh/setup-uv"))
        assert setup["with"]["python-version"] == answers["python_version"]


@pytest.mark.parametrize("variant", [name for name in VARIANTS if name != CHECKED_BY_WORKFLOW])
def test_service_checks(renders, variant: str, service_env: support.ServiceEnv, pg_database: str) -> None:
    """Full variants: the suite, ruff and migrations up/down/up (PostgreSQL ones on their own
    databases). The others (newer Python versions) are linted with their own ruff target."""
    project, (answers, runs) = renders(variant), VARIANTS[variant]
    if not runs:
        support.run(service_env.tool("ruff"), "check", "--no-cache", ".", cwd=project)
        support.run(service_env.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=project)
        return
    if answers.get("database") == "postgresql":
        base = support.unique_name("fd_suite")
        service_env.checks(project, database_url=pg_database, test_database_url=support.pg_url(base))
        assert_no_databases_left(base)
    else:
        service_env.checks(project)


def assert_no_databases_left(base: str) -> None:
    """The generated suite names its scratch databases `<base>_<suffix>` and must drop them all."""
    query = f"SELECT datname FROM pg_database WHERE datname LIKE '{base}%'"  # noqa: S608 - our own name
    listing = support.run(
        "psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc", query, cwd=support.REPO
    )
    assert listing.stdout.split() == []


def test_uuid_keys_and_api_prefix_end_to_end(renders, service_env: support.ServiceEnv, pg_database: str) -> None:
    project = renders("pg-uuid-prefix")
    dump = "import json; from src.main import app; print(json.dumps(app.openapi()))"
    schema = json.loads(support.run(service_env.tool("python"), "-c", dump, cwd=project).stdout)
    paths = set(schema["paths"])
    assert "/health" in paths
    assert {"/api/v1/items", "/api/v1/items/{item_id}"} <= paths
    assert all(path.startswith(("/api/v1/", "/health", "/metrics")) for path in paths)
    assert schema["components"]["schemas"]["ItemRead"]["properties"]["id"]["format"] == "uuid"

    support.run(
        service_env.tool("python"), "-m", "alembic", "upgrade", "head", cwd=project, env={"DATABASE_URL": pg_database}
    )
    database = pg_database.rsplit("/", 1)[1]
    query = "SELECT data_type FROM information_schema.columns WHERE table_name = 'item' AND column_name = 'id'"
    column = support.run("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", query, cwd=project)
    assert column.stdout.strip() == "uuid"


def test_ci_workflow_commands_pass(renders, tmp_path: Path, pg_database: str) -> None:
    """The workflow's own `run:` lines, verbatim, after the README's first `uv sync` (which
    writes the uv.lock that `uv sync --locked` needs), against this test's databases."""
    project = tmp_path / "acme"
    shutil.copytree(renders(CHECKED_BY_WORKFLOW), project, symlinks=True)
    (job,) = yaml.safe_load((project / WORKFLOW).read_text())["jobs"].values()
    assert set(job["env"]) == {"ENVIRONMENT", "DATABASE_URL", "TEST_DATABASE_URL"}
    assert all(job["env"][name].startswith(support.PG_SERVER + "/") for name in ("DATABASE_URL", "TEST_DATABASE_URL"))
    commands = [line for step in job["steps"] if "run" in step for line in step["run"].splitlines() if line.strip()]
    assert commands[0] == "uv sync --locked"
    assert {"uv run ruff check .", "uv run ruff format --check .", "uv run pytest"} <= set(commands)
    assert commands[-3:] == [f"uv run alembic {step}" for step in ("upgrade head", "downgrade base", "upgrade head")]
    uv = shutil.which("uv")
    assert uv, "uv is needed to run the workflow's commands"
    base = support.unique_name("fd_suite")
    env = {
        "ENVIRONMENT": job["env"]["ENVIRONMENT"],
        "DATABASE_URL": pg_database,
        "TEST_DATABASE_URL": support.pg_url(base),
        "VIRTUAL_ENV": str(project / ".venv"),
        "UV_PYTHON": sys.executable,  # what setup-uv's python-version does in the workflow
    }
    support.run(uv, "sync", "-q", cwd=project, env=env)
    assert (project / "uv.lock").is_file()
    for command in commands:
        support.run(uv, *shlex.split(command)[1:], cwd=project, env=env)
    assert_no_databases_left(base)


def test_update_of_a_non_default_variant_changes_nothing(renders) -> None:
    project = renders("sqlite-uuid-prefix")
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    assert support.git(project, "status", "--porcelain").stdout == ""


def test_switching_to_postgresql_by_update(
    template: Path, tmp_path: Path, service_env: support.ServiceEnv, pg_database: str
) -> None:
    """What the generated README says: one `copier update` switches driver and URLs."""
    project = support.render(template, tmp_path / "acme")
    support.copier_cli(
        "update", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "database=postgresql", cwd=project
    )
    changed = {line[3:] for line in support.git(project, "status", "--porcelain").stdout.splitlines()}
    assert changed == {
        ".copier-answers.yml",
        ".env.example",
        "README.md",
        "compose.yaml",
        "Dockerfile",
        "pyproject.toml",
        "src/config.py",
        "tests/conftest.py",
        WORKFLOW,
        "deploy/",  # the Kubernetes example, for PostgreSQL only
        ".specify/templates/plan-template.md",  # its technical context names the database
    }
    assert "asyncpg" in (project / "pyproject.toml").read_text()
    assert '"postgresql+asyncpg://postgres@127.0.0.1:5432/acme_shop"' in (project / "src" / "config.py").read_text()
    # Lint and migrations are as in the PostgreSQL variants; the suite proves the switch.
    base = support.unique_name("fd_suite")
    support.run(
        service_env.tool("python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        cwd=project,
        env={"DATABASE_URL": pg_database, "TEST_DATABASE_URL": support.pg_url(base)},
    )
    assert_no_databases_left(base)
