"""What a destructive change empties, said before it is made: the rows of a table (`remove`), or
those holding a value in a column (`field remove`), counted in the database Alembic would migrate
(the service's DATABASE_URL, from its environment and `.env`), and the confirmation to go on.

The count runs in the service's own environment (`uv run --no-sync`), with its settings and
drivers; when the service has no environment yet, or its database cannot be reached, the command
says so in one line and asks all the same.
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fastapi_domains import interrupts, terminal
from fastapi_domains.errors import CliError

# Seconds the count may take, connecting included.
TIMEOUT = 30
# Run by the service's Python in the service's folder: one JSON line, {"rows", "where"} or {"error"}.
COUNT = """
import asyncio, json, sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from src.config import settings


async def count(table, column, value):
    url = make_url(settings.DATABASE_URL)
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return {"error": f"{where} does not exist yet", "where": where}
    rows = sa.table(table, *([sa.column(column)] if column else []))
    query = sa.select(sa.func.count()).select_from(rows)
    if column:
        held = rows.c[column] == value if value else rows.c[column].is_not(None)
        query = query.where(held)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {"rows": await connection.scalar(query), "where": where}
    except Exception as error:
        text = str(error).strip().splitlines()
        return {"error": text[0] if text else type(error).__name__, "where": where}
    finally:
        await engine.dispose()


print(json.dumps(asyncio.run(count(*sys.argv[1:]))))
"""


@dataclass(frozen=True)
class Count:
    rows: int | None
    # The database it was counted in (its URL without the password), or why it was not counted.
    where: str = ""
    problem: str = ""


def count(root: Path, table: str, column: str | None = None, equal_to: str = "") -> Count:
    """The rows of `table` (holding a value in `column`, if given: `equal_to`, if given) in the
    service's database."""
    uv = shutil.which("uv")
    if uv is None:
        return Count(None, problem="uv is not installed")
    environment = os.environ.get("UV_PROJECT_ENVIRONMENT")
    if not ((root / environment) if environment else (root / ".venv")).joinpath("pyvenv.cfg").is_file():
        return Count(None, problem="the service has no environment yet: `uv sync` makes it")
    command = [uv, "run", "--project", str(root), "--no-sync", "python", "-c", COUNT, table, column or "", equal_to]
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=TIMEOUT, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        return Count(None, problem=f"the database did not answer within {TIMEOUT} s")
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return Count(None, problem=lines[-1] if lines else f"the count exited with {done.returncode}")
    if "error" in result:
        return Count(None, str(result.get("where", "")), str(result["error"]))
    return Count(int(result["rows"]), str(result["where"]))


def say_and_confirm(lines: list[str], question: str, *, yes: bool) -> None:
    """Print what the change destroys, then go on with `--yes`, or once the user says so."""
    if yes:
        print("\n".join(lines), flush=True)
        return
    # questionary (prompt_toolkit) is loaded only when there is a question to ask.
    with interrupts.deferred():
        from fastapi_domains import prompts  # noqa: PLC0415

    if not prompts.confirm("\n".join(lines), question, default=False):
        raise CliError("cancelled; nothing was written")


def require_a_way_to_confirm(what: str, *, yes: bool) -> None:
    """Without --yes, the question needs a terminal: refused before anything is counted or rendered."""
    if not yes and not terminal.interactive():
        raise CliError(f"{what}; confirm with --yes (there is no terminal to ask on)")


def copy_query(table: str, columns: str = "*") -> str:
    """The query that keeps a copy of what the change drops, printed for the user (never run here)."""
    return f'SELECT {columns} FROM "{table}"'  # noqa: S608 - printed, never run


def plural(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
