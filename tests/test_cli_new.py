"""`fastapi-domains new`: a service from the template, its next commands, a refused answer that
writes nothing; and `fastapi-domains update` of a template without release tags, said once."""

from pathlib import Path

import pytest
import yaml

from fastapi_domains import new_service
from tests import support
from tests.test_cli_domain import cli


@pytest.fixture(scope="module")
def made(template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A service made by `new` from the template snapshot (a clone, as a user has), and the output."""
    destination = tmp_path_factory.mktemp("new") / "shop"
    result = cli(
        "new", destination, "--defaults", "--data", "project_name=Shop", "--template", template, cwd=destination.parent
    )
    return destination, result.stdout


def test_new_generates_the_service_and_prints_the_next_commands(made: tuple[Path, str], template: Path) -> None:
    service, output = made
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert (answers["project_name"], answers["_src_path"]) == ("Shop", str(template))
    assert (service / "src" / "items" / "router.py").is_file()
    for command in ("uv sync", "uv run alembic upgrade head", "uv run pytest"):
        assert f"  {command}\n" in output


@pytest.mark.parametrize("auth", ["none", "jwt"])
def test_a_service_with_auth_is_told_to_make_its_first_superuser(tmp_path: Path, auth: str) -> None:
    (tmp_path / ".copier-answers.yml").write_text(f"template_kind: project\nauth: {auth}\n")
    commands = new_service.next_commands(tmp_path)
    superuser = [command for command in commands if "create-superuser" in command]
    assert len(superuser) == (auth == "jwt")
    assert commands[-1] == "uv run uvicorn src.main:app --reload"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (("author_email=nobody",), "author_email must look like name@example.com"),
        (("database=mysql",), "Invalid choice for 'database'"),
        (("project_name",), "must be KEY=VALUE"),
    ],
)
def test_a_bad_answer_is_one_line_and_writes_nothing(
    template: Path, tmp_path: Path, data: tuple[str, ...], message: str
) -> None:
    destination = tmp_path / "shop"
    pairs = [part for pair in ("project_name=Shop", *data) for part in ("--data", pair)]
    result = cli("new", destination, "--defaults", *pairs, "--template", template, cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_update_without_release_tags_says_so_once(made: tuple[Path, str]) -> None:
    service, _ = made
    result = cli("update", "--project", service, cwd=service)
    assert result.stdout.count("no release tags") == 1
    assert "No git tags found" not in result.stderr


def test_every_question_has_help() -> None:
    questions = yaml.safe_load((support.REPO / "copier.yml").read_text())
    assert [name for name, question in questions.items() if not name.startswith("_") and "help" not in question] == []
