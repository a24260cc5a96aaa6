"""`python -m src.auth create-superuser EMAIL`, run in process on the tests' database.

The command commits, so each test uses an email of its own and deletes its user afterwards.
"""

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from src import database
from src.auth import __main__ as command
from src.auth import utils
from src.auth.models import user_table
from src.config import settings

EMAIL = "root@example.com"
PASSWORD = "a superuser passphrase"  # noqa: S105 (a test user's)


async def _rows(database_url: str, statement: sa.Executable) -> list[Any]:
    engine = database.create_engine(database_url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(statement)
            return list(result.mappings()) if result.returns_rows else []
    finally:
        await engine.dispose()


def users(database_url: str) -> list[Any]:
    return asyncio.run(_rows(database_url, sa.select(user_table).where(user_table.c.email == EMAIL)))


@pytest.fixture
def on_test_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The command's DATABASE_URL is the tests' database, left without its user afterwards."""
    monkeypatch.setattr(settings, "DATABASE_URL", database_url)
    yield database_url
    asyncio.run(_rows(database_url, sa.delete(user_table).where(user_table.c.email == EMAIL)))


def run(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return command.main(["create-superuser", *args])


def test_creates_a_superuser_with_the_password_from_stdin(
    on_test_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, EMAIL.upper(), stdin=f"{PASSWORD}\n") == 0
    assert EMAIL in capsys.readouterr().out
    (row,) = users(on_test_database)
    assert (row["is_superuser"], row["is_active"]) == (True, True)
    assert utils.verify_password(PASSWORD, row["password_hash"])


def test_promotes_an_existing_user(on_test_database: str, monkeypatch: pytest.MonkeyPatch, password_hash: str) -> None:
    values = {"email": EMAIL, "password_hash": password_hash, "is_active": False, "is_superuser": False}
    statement = sa.insert(user_table).values(values)
    asyncio.run(_rows(on_test_database, statement))
    assert run(monkeypatch, EMAIL) == 0
    (row,) = users(on_test_database)
    assert (row["is_superuser"], row["is_active"], row["password_hash"]) == (True, True, password_hash)


def test_asks_for_the_password_twice_at_a_terminal(on_test_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, "a different one"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    monkeypatch.setattr("sys.stdin", io.StringIO())
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert command.main(["create-superuser", EMAIL]) == 1
    assert users(on_test_database) == []


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["not-an-email"], f"{PASSWORD}\n", "invalid email"),
        ([EMAIL], "short\n", "invalid password"),
    ],
)
def test_a_problem_is_one_line_and_exit_1(
    on_test_database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    stdin: str,
    message: str,
) -> None:
    assert run(monkeypatch, *args, stdin=stdin) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line
    assert users(on_test_database) == []


def test_a_database_without_the_migrations_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(settings, "DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert run(monkeypatch, EMAIL, stdin=f"{PASSWORD}\n") == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "database error" in line
    assert "alembic upgrade head" in line


@pytest.mark.parametrize("args", [[], ["create-superuser"], ["no-such-command"]])
def test_a_usage_mistake_is_one_line_and_exit_1(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        command.main(args)
    assert caught.value.code == 1
    assert len(capsys.readouterr().err.splitlines()) == 1
