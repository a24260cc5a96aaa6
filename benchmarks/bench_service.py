"""The service under test: generated on PostgreSQL with `customers` and `orders` by the CLI, its
dependencies in a virtual environment, and a fresh database migrated and loaded by PostgreSQL
itself (`INSERT ... SELECT` over `generate_series`, with a fixed random seed)."""

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from serving import psql
from template_snapshot import copy_service, run

DOMAINS = (
    ("customers", "name:str", "email:str:unique"),
    ("orders", "customer_id:ref:customers", "amount:decimal", "note:text:optional"),
)


def cli() -> list[str]:
    """`fastapi-domains` as installed in this environment (the module when the script is not)."""
    script = shutil.which("fastapi-domains", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "fastapi_domains.cli"]


def generate(template: Path, destination: Path, env: dict[str, str]) -> Path:
    """A PostgreSQL service with the two domains, added as a user adds them."""
    copy_service(template, destination, env, "database=postgresql")
    for name, *fields in DOMAINS:
        run(*cli(), "domain", name, *[part for field in fields for part in ("--field", field)], "--no-input",
            cwd=destination, env=env)  # fmt: skip
    return destination


@contextmanager
def database() -> Iterator[str]:
    """A new, empty database with a unique name, dropped afterwards whatever happens."""
    name = f"fd_bench_{uuid.uuid4().hex[:10]}"
    psql(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_url(name: str) -> str:
    """The database's URL as the generated service takes it (SQLAlchemy with asyncpg)."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def migrate(service: Path, python: Path, name: str) -> None:
    run(python, "-m", "alembic", "upgrade", "head", cwd=service, env={**os.environ, "DATABASE_URL": service_url(name)})


# Timestamps one minute apart from 2025-01-01, so every row differs and sorts by time as by id.
_CUSTOMERS = """
INSERT INTO customer (name, email, created_at, updated_at)
SELECT 'Customer ' || g, 'customer' || g || '@example.com', t, t
FROM generate_series(1, {count}) g
CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute') x(t)
"""
# Each order references a random existing customer; a quarter have no note.
_ORDERS = """
INSERT INTO "order" (customer_id, amount, note, created_at, updated_at)
SELECT c.first + floor(random() * c.count)::bigint, round((random() * 1000)::numeric, 2),
       CASE WHEN g % 4 = 0 THEN NULL ELSE 'Order note ' || g END, t, t
FROM (SELECT min(id) AS first, count(*) AS count FROM customer) c,
     generate_series({start}, {stop}) g
CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute') x(t)
"""


def _sql(name: str, *statements: str) -> None:
    command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-Xqv", "ON_ERROR_STOP=1"]
    run(*command, *[part for statement in statements for part in ("-c", statement)], cwd=Path.cwd())


def load(name: str, customers: int, orders: int) -> None:
    """`customers` customers and `orders` orders, then VACUUM ANALYZE and a CHECKPOINT, so no
    background write of the load runs during the measurements (ids are contiguous from 1)."""
    _sql(
        name,
        "SELECT setseed(0.42)",
        _CUSTOMERS.format(count=customers),
        _ORDERS.format(start=1, stop=orders),
        "VACUUM ANALYZE customer",
        'VACUUM ANALYZE "order"',
        "CHECKPOINT",
    )


def grow(name: str, orders: int) -> None:
    """More orders until there are `orders`, then VACUUM ANALYZE and a CHECKPOINT."""
    have = int(psql('SELECT count(*) FROM "order"', name))
    if have < orders:
        _sql(
            name,
            "SELECT setseed(0.24)",
            _ORDERS.format(start=have + 1, stop=orders),
            'VACUUM ANALYZE "order"',
            "CHECKPOINT",
        )


def id_range(name: str) -> tuple[int, int, int]:
    """The smallest and largest order id, and how many orders there are."""
    low, high, count = psql('SELECT min(id), max(id), count(*) FROM "order"', name).split("|")
    return int(low), int(high), int(count)
