"""`python -m src.auth create-superuser EMAIL`, run in process on the tests' database.

The command commits, so the tests share one email and delete its user afterwards.
"""

import asyncio
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from src import database
from src.auth import __main__ as command
from src.auth import utils
from src.auth.models import refresh_token_table, user_table
from src.config import settings

EMAIL = "root@example.com"
PASSWORD = "a superuser passphrase"  # noqa: S105 (a test user's)
FAR_AWAY = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)


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
    ids = sa.select(user_table.c.id).where(user_table.c.email == EMAIL).scalar_subquery()
    asyncio.run(_rows(database_url, sa.delete(refresh_token_table).where(refresh_token_table.c.user_id == ids)))
    asyncio.run(_rows(database_url, sa.delete(user_table).where(user_table.c.email == EMAIL)))


def run(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return command.main(["create-superuser", *args])


def insert_user(database_url: str, password_hash: str, *, superuser: bool = False, active: bool = True) -> None:
    values = {"email": EMAIL, "password_hash": password_hash, "is_active": active, "is_superuser": superuser}
    asyncio.run(_rows(database_url, sa.insert(user_table).values(values)))


def test_creates_a_superuser_with_the_password_from_stdin(
    on_test_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, EMAIL.upper(), "--password-stdin", stdin=f"{PASSWORD}\n") == 0
    assert EMAIL in capsys.readouterr().out
    (row,) = users(on_test_database)
    assert (row["is_superuser"], row["is_active"]) == (True, True)
    assert utils.verify_password(PASSWORD, row["password_hash"])


def test_takes_the_password_from_the_environment(on_test_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(command.PASSWORD_VARIABLE, PASSWORD)
    assert run(monkeypatch, EMAIL) == 0
    (row,) = users(on_test_database)
    assert utils.verify_password(PASSWORD, row["password_hash"])


def test_asks_for_the_password_twice_at_a_terminal(on_test_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []
    answers = iter([PASSWORD, PASSWORD])

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", typed)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert command.main(["create-superuser", EMAIL]) == 0
    assert len(prompts) == 2
    (row,) = users(on_test_database)
    assert utils.verify_password(PASSWORD, row["password_hash"])


def test_refuses_passwords_that_differ(on_test_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, "a different one"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    monkeypatch.setattr("sys.stdin", io.StringIO())
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert command.main(["create-superuser", EMAIL]) == 1
    assert users(on_test_database) == []


def test_refuses_to_promote_an_ordinary_account_and_keeps_its_password(
    on_test_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], password_hash: str
) -> None:
    """Someone registered the address first: without --promote their account is not made a
    superuser, and the command asks for no password."""
    insert_user(on_test_database, password_hash)
    assert run(monkeypatch, EMAIL, "--password-stdin", stdin=f"{PASSWORD}\n") == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "--promote" in line
    (row,) = users(on_test_database)
    assert (row["is_superuser"], row["password_hash"]) == (False, password_hash)


def test_promote_replaces_the_password_and_signs_out_the_account(
    on_test_database: str, monkeypatch: pytest.MonkeyPatch, password_hash: str
) -> None:
    insert_user(on_test_database, password_hash, active=False)
    (user_id,) = [row["id"] for row in users(on_test_database)]
    token = {"token_hash": "a" * 64, "user_id": user_id, "family_id": uuid.uuid4(), "expires_at": FAR_AWAY}
    asyncio.run(_rows(on_test_database, sa.insert(refresh_token_table).values(token)))
    assert run(monkeypatch, EMAIL, "--promote", "--password-stdin", stdin=f"{PASSWORD}\n") == 0
    (row,) = users(on_test_database)
    assert (row["is_superuser"], row["is_active"]) == (True, True)
    assert utils.verify_password(PASSWORD, row["password_hash"])
    statement = sa.select(refresh_token_table.c.revoked_at).where(refresh_token_table.c.user_id == user_id)
    (token_row,) = asyncio.run(_rows(on_test_database, statement))
    assert token_row["revoked_at"] is not None


def test_an_existing_superuser_gets_the_new_password(
    on_test_database: str, monkeypatch: pytest.MonkeyPatch, password_hash: str
) -> None:
    insert_user(on_test_database, password_hash, superuser=True)
    assert run(monkeypatch, EMAIL, "--password-stdin", stdin=f"{PASSWORD}\n") == 0
    (row,) = users(on_test_database)
    assert utils.verify_password(PASSWORD, row["password_hash"])


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["not-an-email", "--password-stdin"], f"{PASSWORD}\n", "invalid email"),
        ([EMAIL, "--password-stdin"], "short\n", "invalid password"),
        ([EMAIL, "--password-stdin"], "password123\n", "most common"),
        ([EMAIL, "--password-stdin"], "", "stdin is empty"),
        ([EMAIL], "", "no password"),
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
    monkeypatch.delenv(command.PASSWORD_VARIABLE, raising=False)
    assert run(monkeypatch, *args, stdin=stdin) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line
    assert users(on_test_database) == []


def test_a_database_without_the_migrations_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(settings, "DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert run(monkeypatch, EMAIL, "--password-stdin", stdin=f"{PASSWORD}\n") == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "database error" in line
    assert "alembic upgrade head" in line


@pytest.mark.parametrize("args", [[], ["create-superuser"], ["no-such-command"]])
def test_a_usage_mistake_is_one_line_and_exit_1(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        command.main(args)
    assert caught.value.code == 1
    assert len(capsys.readouterr().err.splitlines()) == 1
