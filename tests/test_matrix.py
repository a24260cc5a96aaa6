"""The template's answer matrix: combinations chosen by pairwise coverage (allpairspy's
`AllPairs` over `ANSWERS`), so every value of every answer meets every value of every other
answer in at least one render: 25 renders, where the full product is 1,036,800.
`uv run pytest tests/test_matrix.py -k combinations -s` prints them.

Each combination is rendered through pytest-copier (once per module, shared by its tests), linted
by ruff with the target of its Python version (one run per version over all renders), searched
for template tokens left unrendered, and its compose file, CI workflow and Kubernetes manifests
validated against their published schemas offline (one run per validator over all renders).
`RUNS` of them, covering every pair of the answers that change the service's code paths, run
their own suite and migrations up/down/up in the shared service environment, on databases of
their own (on PostgreSQL: unique names, dropped after). Answers a validator refuses are refused
with its one line, before anything is written.
"""

import itertools
import json
import re
import shlex
import shutil
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from allpairspy import AllPairs
from pytest_copier import CopierFixture

from tests import support

CORS_ORIGINS = "https://app.example.com, http://localhost:3000"
# Every choice of copier.yml's project questions (test_every_choice_of_the_template_is_in_the_matrix),
# and the free-text answers at their shapes: no prefix, one and two segments; no origins, any, a
# list; names whose slugs have digits, drop accents, or are cut to the 55-character limit.
ANSWERS: dict[str, list[Any]] = {
    "database": ["sqlite", "postgresql"],
    "pk_type": ["int", "uuid"],
    "api_prefix": ["", "/api/v1", "/v2"],
    "auth": ["none", "jwt"],
    "jobs": ["none", "redis", "rabbitmq"],
    "python_version": ["3.11", "3.12", "3.13"],
    "license": ["MIT", "Apache-2.0", "BSD-3-Clause", "proprietary", "none"],
    "with_docker": [True, False],
    "with_ci": [True, False],
    "with_metrics": [True, False],
    "with_tracing": [False, True],
    "offline_docs": [False, True],
    "example_domain": [True, False],
    "cors_origins": ["", "*", CORS_ORIGINS],
    "project_name": [
        "Acme Shop",
        "Billing API 2",
        "Café Ünïcode",
        "inventory",
        "The Very Long Name Of A Warehouse Management Service For Europe",
    ],
}
# AllPairs finds fewer rows when the answers with the most values come first: 25 here, the least
# possible (license x project_name, 5 x 5).
BY_SIZE = sorted(ANSWERS, key=lambda name: len(ANSWERS[name]), reverse=True)
COMBINATIONS: list[dict[str, Any]] = [
    {name: dict(zip(BY_SIZE, row, strict=True))[name] for name in ANSWERS}
    for row in AllPairs([ANSWERS[name] for name in BY_SIZE])
]


def label(index: int, answers: dict[str, Any]) -> str:
    """A combination's test id: its number and the answers that shape its code."""
    parts = [answers["database"], answers["pk_type"], f"auth-{answers['auth']}", f"jobs-{answers['jobs']}"]
    parts += ["prefix"] if answers["api_prefix"] else []
    return "-".join([f"{index:02d}", *parts, f"py{answers['python_version']}"])


MATRIX: dict[str, dict[str, Any]] = {label(index, answers): answers for index, answers in enumerate(COMBINATIONS)}

# The answers that change what a suite exercises, each reduced to on/off.
RUN_ASPECTS: dict[str, Callable[[dict[str, Any]], object]] = {
    "database": lambda answers: answers["database"],
    "pk_type": lambda answers: answers["pk_type"],
    "auth": lambda answers: answers["auth"],
    "jobs": lambda answers: answers["jobs"] != "none",
    "api_prefix": lambda answers: bool(answers["api_prefix"]),
}
# Seven in the shared service environment, and CHECKED_BY_WORKFLOW.
MIN_RUNS = 8


def aspect_pairs(answers: dict[str, Any]) -> set[tuple[str, object, str, object]]:
    values = {name: aspect(answers) for name, aspect in RUN_ASPECTS.items()}
    return {(a, values[a], b, values[b]) for a, b in itertools.combinations(RUN_ASPECTS, 2)}


def choose_runs() -> list[str]:
    """The combinations whose suites run: greedily, the one that adds the most uncovered pairs of
    `RUN_ASPECTS` values, until every pair is covered and there are at least MIN_RUNS."""
    every_pair = set().union(*(aspect_pairs(answers) for answers in MATRIX.values()))
    chosen: list[str] = []
    covered: set[tuple[str, object, str, object]] = set()
    while covered != every_pair or len(chosen) < MIN_RUNS:
        name = max(
            (name for name in MATRIX if name not in chosen),
            key=lambda name: len(aspect_pairs(MATRIX[name]) - covered),
        )
        chosen.append(name)
        covered |= aspect_pairs(MATRIX[name])
    return sorted(chosen)


RUNS = choose_runs()
LICENSE_FIRST_LINES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "proprietary": "All rights reserved.",
}
DOCKER_FILES = ("Dockerfile", ".dockerignore", "compose.yaml")
WORKFLOW = ".github/workflows/ci.yml"
# A Jinja expression, statement or comment left in a file. Literal look-alikes do not match: a
# workflow's `${{ ... }}`, Python's `Callable[[...]]` and f-string or regex braces (`{{1,64}}`),
# TOML's `[[operations]]` (the template writes its tags with a space inside).
LEFTOVER = re.compile(r"(?<!\$)\{\{-?\s|\{%|\{#-?\s|\[\[-?\s")


def first(condition: Callable[[dict[str, Any]], bool]) -> str:
    return next(name for name, answers in MATRIX.items() if condition(answers))


# One of RUNS runs its suite, lint and migrations as the commands of its CI workflow
# (test_ci_workflow_commands_pass), on this Python (uv refuses one older than the service
# requires); the others in the shared service environment (test_service_checks).
CHECKED_BY_WORKFLOW = next(
    name
    for name in RUNS
    if (MATRIX[name]["database"], MATRIX[name]["with_ci"]) == ("postgresql", True)
    and MATRIX[name]["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
)
# Its routes and key column are inspected (test_uuid_keys_and_api_prefix_end_to_end).
UUID_BEHIND_A_PREFIX = first(
    lambda answers: (
        (answers["database"], answers["pk_type"]) == ("postgresql", "uuid")
        and answers["api_prefix"]
        and answers["example_domain"]
    )
)
UPDATED_IN_PLACE = first(lambda answers: answers["pk_type"] == "uuid" and answers["api_prefix"])


@pytest.fixture(scope="module")
def renders(
    session_copier: CopierFixture, service_env: support.ServiceEnv, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every combination rendered once, in this process, by pytest-copier's `copy`. The
    post-copy task writes `openapi.json` in the shared service environment (what
    UV_PROJECT_ENVIRONMENT selects), not in one uv would build for each render."""
    root = tmp_path_factory.mktemp("matrix")
    session_copier.setenv("UV_PROJECT_ENVIRONMENT", str(service_env.root))
    try:
        return {name: session_copier.copy(root / name / "svc", **answers).path for name, answers in MATRIX.items()}
    finally:
        session_copier.delenv("UV_PROJECT_ENVIRONMENT")


def stored_answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_the_combinations_cover_every_pair_of_answers() -> None:
    print(f"\n{len(MATRIX)} combinations (* runs its suite and migrations):")
    for name, answers in MATRIX.items():
        shown = ", ".join(f"{key}={value!r}" for key, value in answers.items())
        print(f"{'*' if name in RUNS else ' '} {name}: {shown}")
    assert len(MATRIX) >= 24
    for (a, values_a), (b, values_b) in itertools.combinations(ANSWERS.items(), 2):
        met = {(answers[a], answers[b]) for answers in COMBINATIONS}
        assert met == set(itertools.product(values_a, values_b)), (a, b)
    assert len(RUNS) >= MIN_RUNS
    for name in RUN_ASPECTS:
        assert len({RUN_ASPECTS[name](MATRIX[run]) for run in RUNS}) == 2, name


def test_every_choice_of_the_template_is_in_the_matrix() -> None:
    """A new choice (or a new yes/no question) of a project joins ANSWERS, so the pairs cover it."""
    for name, question in yaml.safe_load((support.REPO / "copier.yml").read_text()).items():
        when = str(question.get("when", "")) if isinstance(question, dict) else ""
        if name == "template_kind" or ("'project'" not in when and "!= 'external'" not in when):
            continue  # Copier's settings, and the questions of a domain
        if "choices" in question:
            assert set(ANSWERS.get(name, [])) == set(question["choices"]), name
        elif isinstance(question.get("default"), bool):
            assert set(ANSWERS.get(name, [])) == {True, False}, name


@pytest.mark.parametrize("name", MATRIX)
def test_files_follow_the_answers(renders: dict[str, Path], name: str) -> None:
    project, answers = renders[name], MATRIX[name]
    stored = stored_answers(project)
    assert {key: stored[key] for key in answers} == answers
    assert len(stored["project_slug"]) <= 55

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"])
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + answers["python_version"].replace(".", "")
    assert ("asyncpg" in dependencies) == (answers["database"] == "postgresql")
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
    assert ("pyjwt" in dependencies) == (answers["auth"] == "jwt")
    assert (project / "src" / "core" / "jobs").is_dir() == (answers["jobs"] != "none")
    assert ("taskiq-redis" in dependencies, "taskiq-aio-pika" in dependencies) == (
        answers["jobs"] == "redis",
        answers["jobs"] == "rabbitmq",
    )
    assert (project / "src" / "web" / "metrics.py").is_file() == answers["with_metrics"]
    assert (project / "src" / "web" / "tracing.py").is_file() == answers["with_tracing"]
    assert ("fastapi-offline" in dependencies) == answers["offline_docs"]
    config = (project / "src" / "config.py").read_text()
    for origin in filter(None, (part.strip() for part in answers["cors_origins"].split(","))):
        assert f'"{origin}",' in config

    for file in DOCKER_FILES:
        assert (project / file).is_file() == answers["with_docker"], file
    if answers["with_docker"]:
        compose = yaml.safe_load((project / "compose.yaml").read_text())
        # `seed` runs only when asked for (`docker compose run --rm seed`: profile seed).
        assert {"migrate", "api", "seed"} <= set(compose["services"])
        assert ("db" in compose["services"]) == (answers["database"] == "postgresql")
        assert f"FROM python:{answers['python_version']}-slim" in (project / "Dockerfile").read_text()
    assert (project / ".github").exists() == answers["with_ci"]
    if answers["with_ci"]:
        workflow = yaml.safe_load((project / WORKFLOW).read_text())
        (job,) = workflow["jobs"].values()
        assert ("services" in job) == (answers["database"] == "postgresql")
        setup = next(step for step in job["steps"] if step.get("uses", "").startswith("astral-sh/setup-uv"))
        assert setup["with"]["python-version"] == answers["python_version"]


def test_no_template_token_is_left(renders: dict[str, Path]) -> None:
    assert LEFTOVER.search("{{ project_slug }} {%- if auth %} [[ name ]]")
    assert not LEFTOVER.search("${{ secrets.TOKEN }} Callable[[Request], str] rf'{{1,64}}' [[operations]]")
    left = []
    for project in renders.values():
        for name in support.tracked_files(project):
            try:
                text = (project / name).read_text()
            except UnicodeDecodeError:
                continue  # a binary file: nothing of Jinja's survives in one
            left += [f"{project.parent.name}/{name}:{line}" for line in text.splitlines() if LEFTOVER.search(line)]
    assert left == []


@pytest.mark.parametrize("python_version", ANSWERS["python_version"])
def test_ruff_passes_at_each_python_version(
    renders: dict[str, Path], service_env: support.ServiceEnv, python_version: str
) -> None:
    """One ruff run over every render of the version, each file with its service's configuration."""
    projects = [str(renders[name]) for name, answers in MATRIX.items() if answers["python_version"] == python_version]
    assert projects
    target = "--target-version=py" + python_version.replace(".", "")
    ruff = service_env.tool("ruff")
    support.run(ruff, "check", "--no-cache", target, *projects, cwd=support.REPO)
    support.run(ruff, "format", "--check", "--no-cache", target, *projects, cwd=support.REPO)


@pytest.mark.parametrize(
    ("schema", "path"), [("vendor.compose-spec", "compose.yaml"), ("vendor.github-workflows", WORKFLOW)]
)
def test_files_match_their_published_schemas(renders: dict[str, Path], schema: str, path: str) -> None:
    """Offline: check-jsonschema ships the schemas. One run over every render that has the file."""
    files = [str(project / path) for project in renders.values() if (project / path).is_file()]
    assert files
    check = Path(sys.executable).parent / "check-jsonschema"
    support.run(check, "--builtin-schema", schema, *files, cwd=support.REPO)


def test_kubernetes_manifests_are_valid(renders: dict[str, Path]) -> None:
    """Offline: kubernetes-validate ships the schemas. One run over every render's manifests."""
    manifests = sorted(str(path) for project in renders.values() for path in project.glob("deploy/k8s/*.yaml"))
    assert manifests
    support.run(Path(sys.executable).parent / "kubernetes-validate", "--strict", *manifests, cwd=support.REPO)


@pytest.mark.parametrize("name", [name for name in RUNS if name != CHECKED_BY_WORKFLOW])
def test_service_checks(renders: dict[str, Path], name: str, service_env: support.ServiceEnv, pg_database: str) -> None:
    """The suite, ruff and migrations up/down/up (PostgreSQL ones on their own databases)."""
    project = renders[name]
    if MATRIX[name]["database"] == "postgresql":
        base = support.unique_name("fd_suite")
        service_env.checks(project, database_url=pg_database, test_database_url=support.pg_url(base))
        assert_no_databases_left(base)
    else:
        service_env.checks(project)


# An answer each, and the start of the one line Copier refuses it with.
REFUSED = {
    "api_prefix=api/v1": "Validation error for question 'api_prefix': api_prefix must be empty or like /api/v1",
    "api_prefix=/api/v1/": "Validation error for question 'api_prefix': api_prefix must be empty or like /api/v1",
    "project_name=3D Prints": "Validation error for question 'project_slug': project_slug must be lowercase snake_case",
    "project_slug=shop__x_": "Validation error for question 'project_slug': project_slug must be lowercase snake_case",
    f"project_slug={'a' * 56}": "Validation error for question 'project_slug': project_slug is 56 characters long",
    "cors_origins=app.example.com": "Validation error for question 'cors_origins': cors_origins must be comma",
    "with_docker=maybe": "Validation error for question 'with_docker': with_docker must be true or false",
    "jobs=kafka": "Invalid choice for 'jobs': 'kafka' is not in ['none', 'redis', 'rabbitmq']",
}


@pytest.mark.parametrize("answer", REFUSED)
def test_a_combination_that_must_fail_is_refused_with_one_line(
    copier: CopierFixture, tmp_path: Path, answer: str
) -> None:
    destination = tmp_path / "svc"
    key, value = answer.split("=", 1)
    with pytest.raises(ValueError, match=f"^{re.escape(REFUSED[answer])}") as refusal:
        copier.copy(destination, **{key: value})
    assert len(str(refusal.value).splitlines()) == 1
    assert not destination.exists()


def assert_no_databases_left(base: str) -> None:
    """The generated suite names its scratch databases `<base>_<suffix>` and must drop them all."""
    query = f"SELECT datname FROM pg_database WHERE datname LIKE '{base}%'"  # noqa: S608 - our own name
    listing = support.run(
        "psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc", query, cwd=support.REPO
    )
    assert listing.stdout.split() == []


def test_uuid_keys_and_api_prefix_end_to_end(
    renders: dict[str, Path], service_env: support.ServiceEnv, pg_database: str
) -> None:
    project, prefix = renders[UUID_BEHIND_A_PREFIX], MATRIX[UUID_BEHIND_A_PREFIX]["api_prefix"]
    dump = "import json; from src.main import app; print(json.dumps(app.openapi()))"
    schema = json.loads(support.run(service_env.tool("python"), "-c", dump, cwd=project).stdout)
    paths = set(schema["paths"])
    assert "/health" in paths
    assert {f"{prefix}/items", f"{prefix}/items/{{item_id}}"} <= paths
    assert all(path.startswith((f"{prefix}/", "/health", "/metrics")) for path in paths)
    assert schema["components"]["schemas"]["ItemRead"]["properties"]["id"]["format"] == "uuid"

    support.run(
        service_env.tool("python"), "-m", "alembic", "upgrade", "head", cwd=project, env={"DATABASE_URL": pg_database}
    )
    database = pg_database.rsplit("/", 1)[1]
    query = "SELECT data_type FROM information_schema.columns WHERE table_name = 'item' AND column_name = 'id'"
    column = support.run("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", query, cwd=project)
    assert column.stdout.strip() == "uuid"


def test_ci_workflow_commands_pass(renders: dict[str, Path], tmp_path: Path, pg_database: str) -> None:
    """The workflow's own `run:` lines, verbatim, after the README's first `uv sync` (which
    writes the uv.lock that `uv sync --locked` needs), against this test's databases."""
    project = tmp_path / "acme"
    shutil.copytree(renders[CHECKED_BY_WORKFLOW], project, symlinks=True)
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


def test_update_of_a_non_default_combination_changes_nothing(renders: dict[str, Path]) -> None:
    project = renders[UPDATED_IN_PLACE]
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    assert support.git(project, "status", "--porcelain").stdout == ""


def test_switching_to_postgresql_by_update(
    copier: CopierFixture, tmp_path: Path, service_env: support.ServiceEnv, pg_database: str
) -> None:
    """What the generated README says: one `copier update` switches driver and URLs."""
    project = copier.copy(tmp_path / "acme").path
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
    # Lint and migrations are as in the PostgreSQL combinations; the suite proves the switch.
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
