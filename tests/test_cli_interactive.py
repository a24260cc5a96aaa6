"""`fastapi-domains domain NAME` on a terminal: questionary asks for the fields, validating as
they are typed, shows a summary and asks to confirm. Driven through a real pseudo-terminal."""

import os
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from tests import support
from tests.test_cli_domain import copy_service, tree

DOWN = "\x1b[B"
BACKSPACE = "\x7f"
TIMEOUT = 60


@pytest.fixture(scope="module")
def service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_service(template, tmp_path_factory.mktemp("interactive") / "acme")


@pytest.fixture
def project(service: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(service, tmp_path / "acme", symlinks=True))


def spawn(project: Path, *args: str, command: str = "domain") -> pexpect.spawn:
    # A service fresh from `copier copy`: no environment of its own yet.
    environment = {name: value for name, value in os.environ.items() if name != "UV_PROJECT_ENVIRONMENT"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "fastapi_domains.cli", *command.split(), *args],
        cwd=project,
        # No cursor-position requests: nothing answers them here, and each would wait for a reply.
        env={**environment, "TERM": "xterm", "COLUMNS": "120", "LINES": "40", "PROMPT_TOOLKIT_NO_CPR": "1"},
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def add_field(terminal: pexpect.spawn, name: str, downs: int, optional: bool, unique: bool | None) -> None:
    terminal.expect("Field name")
    terminal.send(name + "\r")
    terminal.expect(f"Type of {name}")
    terminal.send(DOWN * downs + "\r")
    terminal.expect("optional")
    terminal.send("y" if optional else "n")
    if unique is not None:  # Not asked for json, enum and text fields.
        terminal.expect("unique")
        terminal.send("y" if unique else "n")


def test_fields_are_asked_validated_summarised_and_confirmed(project: Path) -> None:
    terminal = spawn(project, "tags")
    terminal.expect("Field name")
    # A reserved name is refused while typing; Enter does not accept it.
    terminal.send("id")
    terminal.expect("is reserved")
    terminal.send("\r")
    terminal.send(BACKSPACE * 2)
    terminal.send("title\r")
    terminal.expect("Type of title")
    terminal.send("\r")  # str, the default
    terminal.expect("optional")
    terminal.send("n")
    terminal.expect("unique")
    terminal.send("y")
    # Types offered for `price`: str text int float decimal ... (no date/datetime: wrong suffix).
    add_field(terminal, "price", downs=4, optional=False, unique=False)
    # A name ending in _at offers datetime first.
    add_field(terminal, "published_at", downs=0, optional=True, unique=False)
    terminal.expect(r"empty to finish")
    terminal.send("\r")
    terminal.expect("Domain tags \\(entity tag, table tag\\) with fields:")
    terminal.expect("title:str:unique")
    terminal.expect("price:decimal")
    terminal.expect("published_at:datetime:optional")
    terminal.expect("Add the domain tags?")
    terminal.send("y")
    terminal.expect("Added the domain tags")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0
    answers = yaml.safe_load((project / ".copier" / "domain-tags.yml").read_text())
    assert [(f["name"], f["type"], f["optional"], f["unique"]) for f in answers["fields"]] == [
        ("title", "str", False, True),
        ("price", "decimal", False, False),
        ("published_at", "datetime", True, False),
    ]
    assert (project / "src" / "tags" / "router.py").is_file()


def test_declining_the_summary_writes_nothing(project: Path) -> None:
    before = tree(project)
    terminal = spawn(project, "tags")
    add_field(terminal, "title", downs=0, optional=False, unique=False)
    terminal.expect("empty to finish")
    terminal.send("\r")
    terminal.expect("Add the domain tags?")
    terminal.send("n")
    terminal.expect("cancelled; nothing was written")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 1
    assert tree(project) == before


def test_ctrl_c_stops_without_writing(project: Path) -> None:
    before = tree(project)
    terminal = spawn(project, "tags")
    terminal.expect("Field name")
    terminal.sendcontrol("c")
    terminal.expect("interrupted")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 130
    assert tree(project) == before


def test_no_input_never_prompts_even_on_a_terminal(project: Path) -> None:
    before = tree(project)
    terminal = spawn(project, "tags", "--no-input")
    terminal.expect("no fields given")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 1
    assert tree(project) == before


def test_without_a_terminal_missing_fields_are_an_error(project: Path) -> None:
    before = tree(project)
    result = support.run(sys.executable, "-m", "fastapi_domains.cli", "domain", "tags", cwd=project, check=False)
    assert result.returncode == 1
    assert "no fields given" in result.stderr
    assert tree(project) == before


def test_a_reference_is_offered_for_an_id_field_and_points_to_a_domain(project: Path) -> None:
    terminal = spawn(project, "reviews")
    terminal.expect("Field name")
    terminal.send("item_id\r")
    terminal.expect("Type of item_id")
    terminal.expect("reference to a row of another domain")
    terminal.send("\r")  # ref, the default for a name ending in _id
    terminal.expect("optional")
    terminal.send("n")
    terminal.expect("Which domain does item_id point to")
    terminal.send("\r")  # items, the only domain
    # text: never asked whether unique (PostgreSQL cannot index a long text as unique).
    add_field(terminal, "body", downs=1, optional=False, unique=None)
    terminal.expect("empty to finish")
    terminal.send("\r")
    terminal.expect("item_id:ref:items")
    terminal.expect("Add the domain reviews?")
    terminal.send("y")
    terminal.expect("Added the domain reviews")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0
    answers = yaml.safe_load((project / ".copier" / "domain-reviews.yml").read_text())
    assert answers["fields"][0]["ref"] == {
        "domain": "items",
        "entity": "item",
        "entity_class": "Item",
        "table": "item",
        "label": "an item",
    }


DESTROYING = {
    "field remove": ("field remove", ("items", "description"), "Drop item.description?", "Done removing description"),
    "remove": ("remove", ("items",), "Remove the domain items?", "Removed the domain items"),
}


@pytest.mark.parametrize(("command", "args", "question", "done"), DESTROYING.values(), ids=DESTROYING.keys())
def test_destroying_data_says_so_and_asks_first(
    project: Path, command: str, args: tuple[str, ...], question: str, done: str
) -> None:
    """What is dropped, how many rows hold it (here: not counted, the service has no environment),
    what a rollback needs, then a question whose default is no."""
    before = tree(project)
    terminal = spawn(project, *args, command=command)
    terminal.expect("could not be counted \\(the service has no environment yet: `uv sync` makes it\\)")
    terminal.expect("A rollback \\(`uv run alembic downgrade -1`\\)")
    terminal.expect(question.replace("?", "\\?"))
    terminal.send("\r")  # The default: no.
    terminal.expect("cancelled; nothing was written")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 1
    assert tree(project) == before

    terminal = spawn(project, *args, command=command)
    terminal.expect(question.replace("?", "\\?"))
    terminal.send("y")
    terminal.expect(done)
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0
    assert tree(project) != before
