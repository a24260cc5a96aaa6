"""`copier copy` with default answers (through pytest-copier): the tree, the first commit, clean
updates, and the service's own suite, lint and migrations."""

import os
from pathlib import Path

import pytest
import yaml
from pytest_copier import CopierFixture

from tests import support

SEED_DOMAIN_MODULES = [
    "router",
    "schemas",
    "models",
    "dependencies",
    "config",
    "constants",
    "exceptions",
    "service",
    "utils",
]
SEED_GLOBAL_MODULES = ("config.py", "models.py", "exceptions.py", "database.py", "main.py")
SEED_TESTS = ("test_router.py", "test_service.py", "test_integration.py")


@pytest.fixture(scope="module")
def acme(session_copier: CopierFixture, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_copier.copy(tmp_path_factory.mktemp("render") / "acme").path


def test_every_seed_module_exists_with_code(acme: Path) -> None:
    for name in SEED_GLOBAL_MODULES:
        assert len((acme / "src" / name).read_text().splitlines()) > 5, name
    for name in SEED_DOMAIN_MODULES:
        source = (acme / "src" / "items" / f"{name}.py").read_text()
        # A module with nothing to say yet (utils) is a docstring saying so.
        placeholder = name == "utils" and source.startswith('"""') and source.count("\n") == 1
        assert "def " in source or "class " in source or " = " in source or placeholder, name
    for name in SEED_TESTS:
        assert "async def test_" in (acme / "tests" / "items" / name).read_text(), name
    assert (acme / "tests" / "conftest.py").is_file()
    assert list((acme / "tests" / "contract").glob("test_*.py"))
    service_files = (
        "alembic.ini alembic/env.py pyproject.toml .pre-commit-config.yaml README.md .env.example .gitignore"
    )
    for name in service_files.split():
        assert (acme / name).is_file(), name


def test_the_top_of_src_is_the_constitutions_globals_three_packages_and_the_domains(acme: Path) -> None:
    top = {path.name for path in (acme / "src").iterdir() if path.name != "__pycache__"}
    # And the development data command, `python -m src.seed` (src/seed.py).
    assert top == {"__init__.py", *SEED_GLOBAL_MODULES, "seed.py", "core", "db", "web", "items"}


def test_example_domain_is_an_updatable_copy(acme: Path) -> None:
    answers = yaml.safe_load((acme / ".copier" / "domain-items.yml").read_text())
    project = yaml.safe_load((acme / ".copier-answers.yml").read_text())
    assert answers["template_kind"] == "domain"
    assert (answers["domain_name"], answers["entity_name"], answers["entity_class"]) == ("items", "item", "Item")
    assert answers["_commit"] == project["_commit"]
    assert answers["_src_path"] == project["_src_path"]
    assert [field["name"] for field in answers["fields"]] == ["name", "description", "price"]
    (migration,) = (acme / "alembic" / "versions").glob("*_create_item.py")
    assert answers["revision_id"] in migration.name
    assert 'def downgrade() -> None:\n    op.drop_table("item")' in migration.read_text()


def test_fresh_copy_is_committed_and_clean(acme: Path) -> None:
    assert support.git(acme, "status", "--porcelain").stdout == ""
    assert support.git(acme, "rev-list", "--count", "HEAD").stdout.strip() == "1"
    assert ".git" not in {path.name for path in (acme / "src").iterdir()}


@pytest.mark.parametrize("answers_file", [None, ".copier/domain-items.yml"], ids=["project", "domain"])
def test_update_of_a_fresh_copy_changes_nothing(acme: Path, answers_file: str | None) -> None:
    extra = ["-a", answers_file] if answers_file else []
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", *extra, cwd=acme)
    assert support.git(acme, "status", "--porcelain").stdout == ""


def test_service_passes_its_own_checks(acme: Path, service_env: support.ServiceEnv) -> None:
    service_env.checks(acme)


def test_pre_commit_passes(acme: Path, service_env: support.ServiceEnv) -> None:
    # Hooks are `language: system`: they run the tools of the environment on PATH.
    path = f"{service_env.bin}:{os.environ['PATH']}"
    support.run(service_env.tool("pre-commit"), "run", "--all-files", cwd=acme, env={"PATH": path})
