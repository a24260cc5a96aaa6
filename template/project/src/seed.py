"""Development data: `uv run python -m src.seed [--rows N] [--domain NAME] [--seed S]` fills each
domain's table up to N rows (20 unless told) with the realistic rows of its factory
(`tests/<domain>/factories.py`), through the domain's own service.

Parents come before their children: each reference gets the id of an existing row (a
self-reference one of the rows made before it, or none while there is none); with auth, owned
rows belong to the seeded user `seed@example.com` (its password: SEED_USER_PASSWORD, see below).
Counting up to N makes a second run with the same seed add nothing. Refused outside a developer's
machine (`ENVIRONMENT=local` or `testing`), with one line.
"""

import argparse
import asyncio
import graphlib
import importlib
import inspect
import os
import random
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src import database
from src.config import settings
from src.exceptions import ConflictError
from src.web import discovery

ROOT = Path(__file__).resolve().parents[1]
SEED_USER = "seed@example.com"
# The seeded user's password: SEED_USER_PASSWORD from the environment, to sign in as it; else a
# random one nobody knows (its rows are there to be read by other users' lists, or a superuser).
PASSWORD_VARIABLE = "SEED_USER_PASSWORD"  # noqa: S105 (a variable's name)
DEFAULT_ROWS = 20
# A body whose unique value is taken is drawn again: the first run's values come back first when
# a later run adds to the rows it made (same seed), then this many more attempts.
ATTEMPTS = 20


@dataclass
class Domain:
    name: str
    table: sa.Table
    factory: Any
    service: ModuleType

    @property
    def owned(self) -> bool:
        return "owner_id" in inspect.signature(self.service.create).parameters

    def parents(self) -> dict[str, sa.Table]:
        """Each field of the create schema that references a table, with that table."""
        fields = self.factory.__model__.model_fields
        return {
            column.name: next(iter(column.foreign_keys)).column.table
            for column in self.table.columns
            if column.foreign_keys and column.name in fields
        }


def domains() -> list[Domain]:
    """Every domain with a table and a factory, parents before children."""
    found = {}
    for name in discovery.domain_names():
        if not (ROOT / "tests" / name / "factories.py").is_file():
            continue
        factories = importlib.import_module(f"tests.{name}.factories")
        service = importlib.import_module(f"src.{name}.service")
        factory = next((value for value in vars(factories).values() if _is_factory_of(value, factories.__name__)), None)
        if factory is not None and hasattr(service, "rows"):
            found[name] = Domain(name, service.rows.table, factory, service)
    by_table = {domain.table.name: name for name, domain in found.items()}
    graph = {
        name: {by_table[table.name] for table in domain.parents().values() if table.name in by_table} - {name}
        for name, domain in found.items()
    }
    return [found[name] for name in graphlib.TopologicalSorter(graph).static_order()]


def _is_factory_of(value: Any, module: str) -> bool:
    return isinstance(value, type) and value.__module__ == module and hasattr(value, "__model__")


async def ids(connection: AsyncConnection, table: sa.Table) -> list[Any]:
    return list((await connection.execute(sa.select(table.c.id).order_by(table.c.id))).scalars())


async def seed_user(connection: AsyncConnection) -> Any:
    """The seeded user's id, made on the first run."""
    auth = importlib.import_module("src.auth.service")
    users = importlib.import_module("src.auth.models").user_table
    found = (await connection.execute(sa.select(users.c.id).where(users.c.email == SEED_USER))).scalar()
    if found is not None:
        return found
    utils = importlib.import_module("src.auth.utils")
    password = os.environ.get(PASSWORD_VARIABLE) or secrets.token_urlsafe(32)
    password_hash = await utils.in_hash_thread(utils.hash_password, password)
    return (await auth.create_user(connection, SEED_USER, password_hash))["id"]


async def fill(connection: AsyncConnection, domain: Domain, rows: int, chance: random.Random, owner: Any) -> int:
    """Add rows to `domain` until it has `rows`; how many were added."""
    existing = await ids(connection, domain.table)
    parents = {
        field: existing if table is domain.table else await ids(connection, table)
        for field, table in domain.parents().items()
    }
    owned = {"owner_id": owner} if domain.owned else {}
    added = 0
    while len(existing) < rows:
        attempts = len(existing) + ATTEMPTS
        for attempt in range(attempts):
            values = {field: chance.choice(choices) if choices else None for field, choices in parents.items()}
            try:
                async with connection.begin_nested():
                    row = await domain.service.create(connection, domain.factory.build(**values), **owned)
                break
            except ConflictError:
                if attempt == attempts - 1:
                    raise
        existing.append(row.id)
        added += 1
    return added


async def seed(engine: AsyncEngine, rows: int, only: str | None, chance: random.Random) -> list[str]:
    lines = []
    chosen = [domain for domain in domains() if only in (None, domain.name)]
    async with engine.connect() as connection:
        owner = await seed_user(connection) if any(domain.owned for domain in chosen) else None
        await connection.commit()
        for domain in chosen:
            added = await fill(connection, domain, rows, chance, owner)
            await connection.commit()
            lines.append(f"{domain.name}: {added} rows added, {rows} or more in {domain.table.name}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows per domain (default: %(default)s)")
    parser.add_argument("--domain", metavar="NAME", help="only this domain (its parents need rows already)")
    parser.add_argument("--seed", type=int, default=1843, help="the random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    if not settings.is_development:
        refusal = f"src.seed: refused: ENVIRONMENT is {settings.ENVIRONMENT}; seed data is for local or testing"
        print(refusal, file=sys.stderr)
        return 1
    if args.rows < 1:
        print("src.seed: --rows must be 1 or more", file=sys.stderr)
        return 1
    names = [domain.name for domain in domains()]
    if args.domain is not None and args.domain not in names:
        print(f"src.seed: no domain {args.domain!r} to seed; choose one of {', '.join(names)}", file=sys.stderr)
        return 1
    importlib.import_module("tests.factories").faker.seed_instance(args.seed)
    lines = asyncio.run(seed(database.engine, args.rows, args.domain, random.Random(args.seed)))  # noqa: S311 - sample data
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
