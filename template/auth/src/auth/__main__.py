"""Management commands of the auth domain, on the app's database (`DATABASE_URL`):

    uv run python -m src.auth create-superuser EMAIL

makes EMAIL an active superuser: an existing user is promoted (their password unchanged); a new
one is asked for a password twice, or reads it from the first line of stdin when stdin is not a
terminal (`printf '%s\\n' "$PASSWORD" | uv run python -m src.auth create-superuser EMAIL`).
A problem is one line on stderr and exit status 1.
"""

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import NoReturn

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from src import database, inputs
from src.auth import exceptions, service, utils
from src.auth.schemas import NewPassword
from src.config import settings

_EMAIL = TypeAdapter(inputs.Email)
_PASSWORD = TypeAdapter(NewPassword)


class CommandError(Exception):
    """A problem the user can fix, told in one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A usage mistake is one line and exit status 1 too (argparse's own: the usage, and 2)."""
        self.exit(1, f"{self.prog}: {message}\n")


def read_password() -> str:
    """The password: typed twice at a terminal, or the first line of piped stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    typed = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != typed:
        raise CommandError("the passwords do not match")
    return typed


def checked(adapter: TypeAdapter[str], value: str, name: str) -> str:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        message = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise CommandError(f"invalid {name}: {message}") from None


async def create_superuser(database_url: str, email: str, password_source: Callable[[], str]) -> str:
    """Promote or create the superuser; the line to print. No transaction stays open while the
    password is typed."""
    engine = database.create_engine(database_url)
    try:
        async with engine.begin() as connection:
            promoted = await service.promote(connection, email)
        if promoted is not None:
            return f"{email} is now a superuser"
        password = checked(_PASSWORD, await asyncio.to_thread(password_source), "password")
        password_hash = await asyncio.to_thread(utils.hash_password, password)
        async with engine.begin() as connection:
            await service.create_user(connection, email, password_hash, is_superuser=True)
        return f"created the superuser {email}"
    except exceptions.EmailTakenError:
        raise CommandError(f"{email} registered meanwhile; run the command again to promote it") from None
    except (SQLAlchemyError, OSError) as error:
        # No traceback: the database is unreachable, or its schema is not migrated yet.
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        hint = "is DATABASE_URL right, and `uv run alembic upgrade head` run?"
        raise CommandError(f"database error ({reason}); {hint}") from None
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m src.auth", description="Auth management commands")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-superuser", help="make EMAIL an active superuser (created if new)")
    create.add_argument("email")
    args = parser.parse_args(argv)
    try:
        email = checked(_EMAIL, args.email, "email")
        print(asyncio.run(create_superuser(settings.DATABASE_URL, email, read_password)))
    except CommandError as error:
        print(f"create-superuser: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("create-superuser: cancelled", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
