"""Session fixtures: a git snapshot of this template and one shared service environment, and
pytest-copier's view of this repository (its `copier_template` snapshot and a session-long
`copier`)."""

import os
import shutil
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_copier import CopierFixture

from tests import support


@pytest.fixture(scope="session", autouse=True)
def git_identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Our own git identity and an empty global config: never the machine's ~/.gitconfig. And
    the services' ENVIRONMENT of a developer's machine."""
    config = tmp_path_factory.mktemp("git") / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n")
    saved = dict(os.environ)
    os.environ.update(support.GIT_IDENTITY)
    os.environ["GIT_CONFIG_GLOBAL"] = str(config)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    # Bytecode, kept out of the services' trees: where PYTHONDONTWRITEBYTECODE is set (as on CI's
    # machines), every generated suite would compile its modules and rewrite its plugins' asserts anew
    # (about 3 s of CPU a run).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # .ci/run's UV_COMPILE_BYTECODE is for the packages it installs: here it would have uv compile
    # every package anew in each environment it builds for a command (an older release's CLI
    # builds one per command).
    os.environ.pop("UV_COMPILE_BYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.getbasetemp() / "bytecode")
    # The services run as on a developer's machine, where `cp .env.example .env` said
    # ENVIRONMENT=local (unset means production); tests of production rules set it themselves.
    os.environ["ENVIRONMENT"] = "local"
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Path:
    """This template's working tree as a committed git repository (what a user clones)."""
    return support.snapshot_template(tmp_path_factory.mktemp("template") / "fastapi-domains")


@pytest.fixture(scope="session")
def service_env(tmp_path_factory: pytest.TempPathFactory, template: Path) -> support.ServiceEnv:
    """Every dependency a generated service can have, installed once for all renders."""
    # Every optional dependency on: PostgreSQL's driver, metrics (on by default), tracing, auth, jobs
    # and offline docs.
    probe = support.render(
        template,
        tmp_path_factory.mktemp("probe") / "svc",
        database="postgresql",
        with_tracing=True,
        auth="jwt",
        offline_docs=True,
    )
    pyproject = tomllib.loads((probe / "pyproject.toml").read_text())
    requirements = [*pyproject["project"]["dependencies"], *pyproject["dependency-groups"]["dev"]]
    # Background jobs on either broker: each answer's own dependencies.
    for broker in ("redis", "rabbitmq"):
        jobs = support.shared_render(
            template, tmp_path_factory.mktemp("probe") / "svc", jobs=broker, example_domain=False
        )
        requirements += tomllib.loads((jobs / "pyproject.toml").read_text())["project"]["dependencies"]
    root = tmp_path_factory.mktemp("service-env") / "venv"
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the service environment (pip install uv)"
    support.run(uv, "venv", "-q", "--python", sys.executable, root, cwd=template)
    # With bytecode: every generated suite imports FastAPI, SQLAlchemy and Pydantic anew.
    python = root / "bin" / "python"
    support.run(uv, "pip", "install", "-q", "--compile-bytecode", "--python", python, *requirements, cwd=template)
    # The CLI and the post-copy task run a service's code (to write openapi.json, to count rows) in
    # the service's environment: from now on this one, as after a `uv sync`. Without it, each command
    # would have uv build and compile a fresh one (tests of that case unset it).
    os.environ["UV_PROJECT_ENVIRONMENT"] = str(root)
    return support.ServiceEnv(root)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (its asyncpg URL), dropped after."""
    name = support.unique_name("fd_test")
    support.create_pg_database(name)
    yield support.pg_url(name)
    support.drop_pg_database(name)


# ---------------------------------------------------------------- pytest-copier
# Its `copier_template` fixture is a git snapshot of `copier_template_paths` under
# `copier_template_root`, tagged 99.99.99 (so `copier.copy` renders that tag); its `copier`
# fixture is per test, so the renders a module shares use `session_copier` below.


@pytest.fixture(scope="session")
def copier_template_root() -> Path:
    return support.REPO


@pytest.fixture(scope="session")
def copier_template_paths() -> list[str]:
    """The repository's top-level tracked entries: not its .venv, nor anything else git does not ship."""
    return sorted({name.split("/")[0] for name in support.tracked_files(support.REPO)})


@pytest.fixture(scope="session")
def copier_defaults() -> dict[str, str]:
    """The one answer without a default. Session-scoped, so a session-long copier can use it."""
    return {"project_name": "Acme Shop"}


@pytest.fixture(scope="session")
def session_copier(
    copier_template: Path, copier_defaults: dict[str, str], sessionpatch: pytest.MonkeyPatch
) -> CopierFixture:
    """pytest-copier's `copier` fixture for renders a module's tests share (its own lives for one test)."""
    return CopierFixture(template=copier_template, defaults=copier_defaults, monkeypatch=sessionpatch)
