"""Management commands of the auth domain, on the app's database (`DATABASE_URL`):

    uv run python -m src.auth create-superuser EMAIL [--promote] [--password-stdin]

makes EMAIL an active superuser with a new password, and signs out its sessions:

- a new email is created;
- an existing superuser gets the new password (a way back in when it is forgotten);
- an existing ordinary account is refused, unless `--promote` says to make it a superuser: the
  account may have been registered by anyone, so its password is replaced, never kept.

The password is typed twice at a terminal (hidden), or, for scripts, read from the first line of
stdin with `--password-stdin` (`printf '%s\\n' "$PASSWORD" | uv run python -m src.auth
create-superuser EMAIL --password-stdin`) or from the environment variable
AUTH_SUPERUSER_PASSWORD (the environment only: a `.env` file does not reach it). It must pass
the same policy as any new password. A problem is one line on stderr and exit status 1.
"""

import argparse
import asyncio
import getpass
import os
import sys
from typing import NoReturn

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from src import database
from src.auth import exceptions, service, utils
from src.auth.schemas import NewPassword
from src.config import settings
from src.core import inputs

PASSWORD_VARIABLE = "AUTH_SUPERUSER_PASSWORD"  # noqa: S105 (a variable's name)
_EMAIL = TypeAdapter(inputs.Email)
_PASSWORD = TypeAdapter(NewPassword)


class CommandError(Exception):
    """A problem the user can fix, told in one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A usage mistake is one line and exit status 1 too (argparse's own: the usage, and 2)."""
        self.exit(1, f"{self.prog}: {message}\n")


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, the environment variable, or typed twice."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("--password-stdin: stdin is empty")
        return line.removesuffix("\n").removesuffix("\r")
    if PASSWORD_VARIABLE in os.environ:
        return os.environ[PASSWORD_VARIABLE]
    if not sys.stdin.isatty():
        raise CommandError(
            f"no password: type it at a terminal, or give it with --password-stdin or {PASSWORD_VARIABLE}"
        )
    typed = getpass.getpass("New password: ")
    if getpass.getpass("New password (again): ") != typed:
        raise CommandError("the passwords do not match")
    return typed


def checked(adapter: TypeAdapter[str], value: str, name: str) -> str:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        message = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise CommandError(f"invalid {name}: {message}") from None


async def create_superuser(database_url: str, email: str, *, promote: bool, from_stdin: bool) -> str:
    """Create the superuser, or set the password of an existing one; the line to print. An
    ordinary account is refused before a password is asked for, unless `promote`. No transaction
    stays open while the password is typed or hashed."""
    engine = database.create_engine(database_url)
    try:
        async with engine.connect() as connection:
            superuser = await service.is_superuser(connection, email)
        if superuser is False and not promote:
            raise CommandError(
                f"{email} is an existing account that is not a superuser; to make it one, run again with "
                "--promote (its password is replaced and its sessions signed out)"
            )
        password = checked(_PASSWORD, await asyncio.to_thread(read_password, from_stdin), "password")
        password_hash = await asyncio.to_thread(utils.hash_password, password)
        async with engine.begin() as connection:
            changed = await service.make_superuser(connection, email, password_hash, promote=promote)
            if changed is None:
                await service.create_user(connection, email, password_hash, is_superuser=True)
                return f"created the superuser {email}"
        if superuser:
            return f"set a new password for the superuser {email} and signed out its sessions"
        return f"{email} is now a superuser, with the new password; its sessions are signed out"
    except exceptions.EmailTakenError:
        # Registered between the two steps: an ordinary account, refused as above.
        raise CommandError(f"{email} registered meanwhile; run again with --promote if it is yours") from None
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
    create = commands.add_parser(
        "create-superuser", help="make EMAIL an active superuser with a new password (created if new)"
    )
    create.add_argument("email")
    create.add_argument(
        "--promote", action="store_true", help="make an existing ordinary account a superuser (its password replaced)"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help=f"read the password from stdin (else {PASSWORD_VARIABLE})"
    )
    args = parser.parse_args(argv)
    try:
        email = checked(_EMAIL, args.email, "email")
        line = asyncio.run(
            create_superuser(settings.DATABASE_URL, email, promote=args.promote, from_stdin=args.password_stdin)
        )
    except CommandError as error:
        print(f"create-superuser: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("create-superuser: cancelled", file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
