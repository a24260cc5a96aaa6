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
        # A misspelt key, which Copier would ignore silently (a SQLite service), and keys that are
        # no question of a service.
        (("databse=postgresql",), "--data 'databse' is not a question of the template (did you mean 'database'?)"),
        (("fields=[]",), "--data 'fields' is not a question of the template (its questions: project_name, "),
        (("template_kind=domain",), "--data 'template_kind' is not a question of the template"),
        # Every place the slug ends up: PostgreSQL's 63 bytes, RFC 1123 labels (no `--`, no end dash).
        ((f"project_slug={'a' * 200}", "database=postgresql"), "project_slug is 200 characters long; the limit is 55"),
        (("project_slug=shop__x_",), "project_slug must be lowercase snake_case"),
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


def test_new_fills_the_empty_folder_it_is_run_in(template: Path, tmp_path: Path) -> None:
    """`mkdir shop && cd shop && fastapi-domains new .`: the folder is kept (the shell stands in it)."""
    folder = tmp_path / "shop"
    folder.mkdir()
    inode = folder.stat().st_ino
    result = cli("new", ".", "--defaults", "--data", "project_name=Shop", "--template", template, cwd=folder)
    assert folder.stat().st_ino == inode
    assert (folder / "src" / "items" / "router.py").is_file()
    assert support.git(folder, "status", "--porcelain").stdout == ""
    assert "  cd " not in result.stdout
    assert result.stdout.splitlines()[1] == "  uv sync"


@pytest.mark.parametrize("kind", ["file", "folder with a file"])
def test_new_refuses_a_destination_that_holds_something(template: Path, tmp_path: Path, kind: str) -> None:
    destination = tmp_path / "shop"
    if kind == "file":
        destination.write_text("notes\n")
        message = f"{destination} exists and is not a folder; choose a new folder"
    else:
        destination.mkdir()
        (destination / "notes.txt").write_text("notes\n")
        message = f"{destination} exists and is not empty; choose a new folder"
    before = sorted(tmp_path.rglob("*"))
    args = ("new", destination, "--defaults", "--data", "project_name=Shop", "--template", template)
    result = cli(*args, cwd=tmp_path, check=False)
    assert (result.returncode, result.stderr) == (1, f"fastapi-domains: error: {message}\n")
    assert sorted(tmp_path.rglob("*")) == before


def quick_start() -> list[str]:
    """The commands of the README's quick start, without their comments."""
    readme = (support.REPO / "README.md").read_text()
    block = readme.split("\n## Quick start\n", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].rstrip() for line in block.splitlines() if line.strip()]


def test_the_readme_quick_start_is_what_new_prints(template: Path, tmp_path: Path) -> None:
    """Word for word, in order, with `cd` to the service first: install, new, then new's next commands."""
    clone = tmp_path / "fastapi-domains"
    clone.mkdir()
    data = ("--data", "project_name=Shop", "--data", "auth=jwt")
    result = cli("new", "../my-service", "--defaults", *data, "--template", template, cwd=clone)
    printed = [line.strip().split("  #")[0].rstrip() for line in result.stdout.splitlines()[1:]]
    commands = quick_start()
    assert commands[:2] == ["uv tool install .", "fastapi-domains new ../my-service"]
    assert commands[2:] == printed
    assert printed[0] == "cd ../my-service"
    assert (tmp_path / "my-service" / "src" / "auth" / "router.py").is_file()
